import { useEffect, useId, useRef, type ReactNode } from 'react';

interface Props {
  open: boolean;
  title: string;
  confirmLabel: string;
  busy: boolean;
  error: string | null;
  onConfirm: () => void;
  onCancel: () => void;
  children: ReactNode;
}

/**
 * A modal confirmation on the native <dialog>: focus moves in and is trapped, Escape cancels,
 * and focus returns to the button that opened it. Cancel is focused first: the safe choice.
 */
export function ConfirmDialog({
  open,
  title,
  confirmLabel,
  busy,
  error,
  onConfirm,
  onCancel,
  children,
}: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const titleId = useId();
  const returnFocus = useRef<HTMLElement | null>(null);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      returnFocus.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      dialog.showModal();
      cancelRef.current?.focus();
    } else if (!open && dialog.open) {
      dialog.close();
      const target = returnFocus.current;
      if (target?.isConnected) target.focus();
      else document.getElementById('main')?.focus();
    }
  }, [open]);

  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        if (!busy) onCancel();
      }}
      data-testid="confirm-dialog"
    >
      <h2 id={titleId} className="dialog__title">
        {title}
      </h2>
      {children}
      {error && (
        <p className="dialog__error" role="alert" data-testid="confirm-error">
          {error}
        </p>
      )}
      <div className="dialog__actions">
        <button
          type="button"
          className="button button--warning"
          onClick={onConfirm}
          disabled={busy}
          data-testid="confirm-yes"
        >
          {confirmLabel}
        </button>
        <button
          type="button"
          className="button button--secondary"
          ref={cancelRef}
          onClick={onCancel}
          disabled={busy}
          data-testid="confirm-cancel"
        >
          Cancel
        </button>
      </div>
    </dialog>
  );
}
