import './bp.css';
import { useResource } from '../../../hooks/useResource.js';
import { getPosturalTests } from './api.js';
import { BpReportPanel } from './BpReportPanel.js';
import { FallsRiskFlag, PosturalTestPanel } from './PosturalTestPanel.js';

/**
 * Blood-pressure management on the patient screen: the falls-risk flag of the latest postural
 * test, the NG136 home-monitoring report and the lying-and-standing test.
 */
export function BpPanel({
  patientId,
  patientName,
  refreshKey,
  discharged,
}: {
  patientId: string;
  /** Printed on the report, so a printout says whose it is. */
  patientName: string;
  refreshKey: number;
  discharged: boolean;
}) {
  const [postural, reload] = useResource((signal) => getPosturalTests(patientId, signal), [patientId]);
  return (
    <>
      <FallsRiskFlag status={postural.data} />
      <BpReportPanel patientId={patientId} patientName={patientName} refreshKey={refreshKey} />
      {!discharged && <PosturalTestPanel patientId={patientId} status={postural} reload={reload} />}
    </>
  );
}
