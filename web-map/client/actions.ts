/**
 * Guardrails for buttons that change the world: an in-page confirmation (translated, no
 * `window.confirm`, which blocks the live map and cannot be styled or localised), a busy
 * state while the request runs, and refusals explained in the user's language.
 */
import type { Ctx, T } from './context.ts';
import { describeError } from './context.ts';
import { h } from './dom.ts';
import { ApiFailure } from './api.ts';

/** Asks once; resolves true on Confirm, false on Cancel or Escape. */
export function confirmDialog(t: T, message: string): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      document.removeEventListener('keydown', onKey, true);
      overlay.remove();
      resolve(ok);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.stopPropagation();
        done(false);
      }
    };
    const okBtn = h('button', { class: 'primary', 'data-testid': 'confirm-ok', onclick: () => done(true) }, t('confirm.ok'));
    const overlay = h(
      'div',
      { class: 'modal-backdrop', 'data-testid': 'confirm' },
      h('div', { class: 'modal', role: 'dialog', 'aria-modal': 'true' }, h('h3', {}, t('confirm.title')), h('p', { 'data-testid': 'confirm-text' }, message), h('div', { class: 'modal-buttons' }, h('button', { 'data-testid': 'confirm-cancel', onclick: () => done(false) }, t('confirm.cancel')), okBtn)),
    );
    document.addEventListener('keydown', onKey, true);
    document.body.append(overlay);
    okBtn.focus();
  });
}

/**
 * Runs `fn` with the button disabled and marked busy; a second click meanwhile does
 * nothing. An error becomes a toast in the user's language.
 */
export async function runBusy(ctx: Ctx, btn: HTMLButtonElement, fn: () => Promise<void>): Promise<void> {
  if (btn.dataset['busy'] === 'true') return;
  const wasDisabled = btn.disabled;
  btn.disabled = true;
  btn.dataset['busy'] = 'true';
  btn.setAttribute('aria-busy', 'true');
  btn.classList.add('busy');
  try {
    await fn();
  } catch (err) {
    ctx.toast(describeError(ctx.t, err), 'error');
  } finally {
    btn.disabled = wasDisabled;
    btn.dataset['busy'] = 'false';
    btn.removeAttribute('aria-busy');
    btn.classList.remove('busy');
  }
}

export interface ActionOptions {
  testId: string;
  label: string;
  disabled?: boolean;
  className?: string;
  /** A question to confirm first; computed at click time so it names the current target. */
  confirm?: () => string | undefined;
  run: () => Promise<void>;
}

/** A button with both guardrails. */
export function actionButton(ctx: Ctx, o: ActionOptions): HTMLButtonElement {
  const btn: HTMLButtonElement = h('button', {
    'data-testid': o.testId,
    class: o.className,
    disabled: o.disabled,
    onclick: () =>
      void (async () => {
        const question = o.confirm?.();
        if (question !== undefined && !(await confirmDialog(ctx.t, question))) return;
        await runBusy(ctx, btn, o.run);
      })(),
  }, o.label);
  return btn;
}

/**
 * A POST the server may answer with 409 asking to be sent again with `confirm: true`
 * (taking a ring's last patrol drones below its minimum): ask the user, then resend.
 */
export async function postConfirming<T>(ctx: Ctx, path: string, body: Record<string, unknown>): Promise<T | undefined> {
  try {
    return await ctx.api.post<T>(path, body);
  } catch (err) {
    if (!(err instanceof ApiFailure) || err.status !== 409 || !/confirm/i.test(err.message)) throw err;
    if (!(await confirmDialog(ctx.t, ctx.t('confirm.patrolMinimum')))) return undefined;
    return ctx.api.post<T>(path, { ...body, confirm: true });
  }
}
