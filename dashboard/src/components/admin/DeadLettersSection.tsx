import type { DeadLetter } from '@wardline/protocol';
import { useEffect, useState } from 'react';
import { describeError, listDeadLetters } from '../../api/client.js';
import { navigate } from '../../routing/navigation.js';
import { formatAbsolute, parseTime } from '../../lib/time.js';
import { previewPayload, REJECTION_CODES } from './deadLetters.js';

const PAGE = 50;

interface Props {
  /** From the address (?code=), so a filtered list can be bookmarked and shared. */
  code: string | null;
}

type State =
  | { status: 'loading'; items: DeadLetter[] }
  | { status: 'ready'; items: DeadLetter[]; more: boolean }
  | { status: 'failed'; items: DeadLetter[]; message: string };

/** Messages the server rejected, newest first, filterable by code, with a readable payload. */
export function DeadLettersSection({ code }: Props) {
  const [state, setState] = useState<State>({ status: 'loading', items: [] });
  const [before, setBefore] = useState<number | undefined>(undefined);
  const [reloadToken, setReloadToken] = useState(0);

  useEffect(() => {
    setBefore(undefined);
  }, [code]);

  useEffect(() => {
    const abort = new AbortController();
    setState((s) => ({ status: 'loading', items: before === undefined ? [] : s.items }));
    listDeadLetters({ code, limit: PAGE, ...(before !== undefined && { before }) }, abort.signal).then(
      (page) =>
        setState((s) => ({
          status: 'ready',
          items: before === undefined ? page : [...s.items, ...page],
          more: page.length === PAGE,
        })),
      (err: unknown) => {
        if (!abort.signal.aborted)
          setState((s) => ({ status: 'failed', items: s.items, message: describeError(err) }));
      },
    );
    return () => abort.abort();
  }, [code, before, reloadToken]);

  const oldest = state.items[state.items.length - 1];
  const codes = Object.keys(REJECTION_CODES);
  if (code && !codes.includes(code)) codes.push(code);

  return (
    <section className="panel" aria-labelledby="dead-letters-title" id="rejected">
      <div className="panel__header">
        <h2 id="dead-letters-title" className="panel__title">
          Rejected messages
        </h2>
        <div className="inline-field">
          <label htmlFor="dead-letter-code">Code</label>
          <select
            id="dead-letter-code"
            value={code ?? ''}
            onChange={(e) =>
              navigate({ name: 'admin', deadLetterCode: e.target.value || null }, { replace: true })
            }
            data-testid="dead-letter-code"
          >
            <option value="">All codes</option>
            {codes.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </div>
        <button
          type="button"
          className="button button--secondary button--small"
          onClick={() => {
            setBefore(undefined);
            setReloadToken((n) => n + 1);
          }}
        >
          Refresh<span className="visually-hidden"> rejected messages</span>
        </button>
      </div>
      <p className="panel__intro">
        Messages from gateways that the server did not accept, kept for diagnosis. Nothing here reached a
        resident’s record.
      </p>
      {state.status === 'failed' && (
        <p className="field__error" role="alert">
          Rejected messages could not be loaded. {state.message}
        </p>
      )}
      {state.items.length === 0 ? (
        <p role="status" data-testid="dead-letters-empty">
          {state.status === 'loading'
            ? 'Loading rejected messages…'
            : state.status === 'ready'
              ? code
                ? `No rejected messages with code ${code}.`
                : 'No rejected messages.'
              : ''}
        </p>
      ) : (
        <ol className="dead-letters" data-testid="dead-letters">
          {state.items.map((d) => (
            <DeadLetterItem key={d.id} item={d} />
          ))}
        </ol>
      )}
      {state.status === 'ready' && state.more && oldest && (
        <button type="button" className="button button--secondary" onClick={() => setBefore(oldest.id)}>
          Show older
        </button>
      )}
    </section>
  );
}

function DeadLetterItem({ item }: { item: DeadLetter }) {
  const at = parseTime(item.receivedAt);
  const preview = previewPayload(item.payload, item.payloadBytes);
  return (
    <li className="dead-letter" data-testid="dead-letter-row" data-code={item.code}>
      <p className="dead-letter__head">
        <strong className="code-tag">{item.code}</strong> <span>{REJECTION_CODES[item.code] ?? ''}</span>
        <span className="dead-letter__time">{at !== null ? formatAbsolute(at) : item.receivedAt}</span>
      </p>
      <p className="dead-letter__detail">{item.detail}</p>
      <p className="dead-letter__topic">
        Topic <span className="mono">{item.topic}</span>
      </p>
      <details>
        <summary>
          Payload ({item.payloadBytes} bytes{preview.json ? ', JSON' : ''}
          {preview.truncated ? ', shortened' : ''})
        </summary>
        <pre className="payload" tabIndex={0} aria-label={`Payload of rejected message ${item.id}`}>
          {preview.text}
        </pre>
      </details>
    </li>
  );
}
