import type { GatewaySummary } from '../../api/client.js';
import { formatAbsolute, parseTime } from '../../lib/time.js';
import { TimeAgo } from '../TimeAgo.js';

interface Props {
  gateways: GatewaySummary[];
  wardName: (wardId: string) => string;
  now: number;
}

export function GatewaysSection({ gateways, wardName, now }: Props) {
  return (
    <section className="panel" aria-labelledby="gateways-title" id="gateways">
      <h2 id="gateways-title" className="panel__title">
        Gateways
      </h2>
      {gateways.length === 0 ? (
        <p>No gateways have connected yet.</p>
      ) : (
        <div className="table-scroll" tabIndex={0} role="region" aria-labelledby="gateways-title">
          <table className="data-table" data-testid="gateways-table">
            <thead>
              <tr>
                <th scope="col">Gateway</th>
                <th scope="col">Ward</th>
                <th scope="col">State</th>
                <th scope="col">Last status</th>
                <th scope="col">Waiting to send</th>
              </tr>
            </thead>
            <tbody>
              {gateways.map((g) => {
                const state = g.status?.state ?? 'unknown';
                const at = parseTime(g.status?.at ?? g.statusAt);
                const outbox = g.status?.outbox;
                return (
                  <tr key={g.id} data-testid="gateway-row" data-gateway-id={g.id} data-state={state}>
                    <th scope="row">
                      <span className="mono">{g.id}</span>
                      <span className="data-table__sub">
                        Site {g.siteCode}
                        {g.status?.software && ` · ${g.status.software}`}
                      </span>
                    </th>
                    <td>{g.wardId ? wardName(g.wardId) : <span className="muted">No ward</span>}</td>
                    <td>
                      <span
                        className={`status status--${state === 'online' ? 'connected' : state === 'offline' ? 'disconnected' : 'unknown'}`}
                      >
                        {state === 'online' ? 'Online' : state === 'offline' ? 'Offline' : 'Never reported'}
                      </span>
                    </td>
                    <td>
                      {at !== null ? (
                        <>
                          <TimeAgo at={at} now={now} />
                          <span className="data-table__sub">{formatAbsolute(at)}</span>
                        </>
                      ) : (
                        <span className="muted">Never</span>
                      )}
                    </td>
                    <td>
                      {outbox ? (
                        `${outbox.pending} of ${outbox.capacity}`
                      ) : (
                        <span className="muted">Not reported</span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
