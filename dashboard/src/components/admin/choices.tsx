import type { Site } from '@wardline/protocol';
import { SelectInput } from './forms.js';
import type { FreeBed } from './useAdminData.js';

interface ChoiceProps<T> {
  id: string;
  options: T[];
  error: string | undefined;
  value: string;
  onChange: (value: string) => void;
  /** Shown where there is nothing to choose from. */
  hint?: string | undefined;
}

/** The site chosen, or the only open one when there is just one and none was chosen. */
export function siteOrOnly(chosen: string, sites: Site[]): string {
  return chosen || (sites.length === 1 ? sites[0]!.id : '');
}

export function SiteSelect({ id, options, error, value, onChange, hint }: ChoiceProps<Site>) {
  return (
    <SelectInput
      id={id}
      label="Site"
      hint={hint}
      error={error}
      value={siteOrOnly(value, options)}
      onChange={onChange}
      placeholder="Choose a site"
      options={options.map((s) => ({ value: s.id, label: s.name }))}
    />
  );
}

export function FreeBedSelect({ id, options, error, value, onChange, hint }: ChoiceProps<FreeBed>) {
  return (
    <SelectInput
      id={id}
      label="Bed"
      hint={hint}
      error={error}
      value={value}
      onChange={onChange}
      placeholder="Choose a free bed"
      options={options.map((b) => ({ value: b.bedId, label: `${b.label}, ${b.wardName}` }))}
    />
  );
}
