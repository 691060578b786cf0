import type { Ward } from '@wardline/protocol';
import { Link } from '../routing/Link.js';

interface PickerProps {
  wards: Ward[];
  /** A ward asked for in the address that is not (or no longer) available to this user. */
  unknownWardId: string | null;
}

const KIND_LABEL: Record<Ward['kind'], string> = { care_home: 'Care home', virtual_ward: 'Virtual ward' };

/** Full-page choice of ward, shown when the user has several and none is selected. */
export function WardPicker({ wards, unknownWardId }: PickerProps) {
  return (
    <main id="main" className="page" tabIndex={-1}>
      <h1>Choose a ward</h1>
      {unknownWardId && (
        <p className="notice" role="status">
          The ward in the address is not available to you. Choose one of these.
        </p>
      )}
      <ul className="ward-list" data-testid="ward-list">
        {wards.map((w) => (
          <li key={w.id}>
            <Link to={{ name: 'ward', wardId: w.id }} className="ward-list__item" data-ward-id={w.id}>
              <span className="ward-list__name">{w.name}</span>
              <span className="ward-list__meta">
                {KIND_LABEL[w.kind]} · {w.bedCount} {w.bedCount === 1 ? 'bed' : 'beds'} · {w.siteCode}
              </span>
            </Link>
          </li>
        ))}
      </ul>
    </main>
  );
}

interface SelectProps {
  wards: Ward[];
  value: string;
  onChange: (wardId: string) => void;
}

/** Compact ward switcher for the ward screen's toolbar. */
export function WardSelect({ wards, value, onChange }: SelectProps) {
  return (
    <div className="ward-select">
      <label htmlFor="ward-select">Ward</label>
      <select
        id="ward-select"
        value={value}
        onChange={(e) => onChange(e.target.value)}
        data-testid="ward-select"
      >
        {wards.map((w) => (
          <option key={w.id} value={w.id}>
            {w.name}
          </option>
        ))}
      </select>
    </div>
  );
}
