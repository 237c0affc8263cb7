import { Api, ApiFailure } from './api.ts';
import type { T } from './context.ts';
import { describeError } from './context.ts';
import { fill, h } from './dom.ts';
import type { User } from './types.ts';

/**
 * The sign-in form. `notice` is shown above it (a session that ended, a server that did
 * not answer); a refused sign-in is explained in the user's language.
 */
export function showLogin(root: HTMLElement, api: Api, t: T, o: { notice?: string; onSignedIn(user: User): Promise<void>; onSwitchLang(): void }): void {
  const username = h('input', { name: 'username', autocomplete: 'username', 'data-testid': 'login-user' });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', 'data-testid': 'login-pass' });
  const msg = h('div', { class: 'bad', 'data-testid': 'login-error' });
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'login-submit' }, t('login.submit'));
  const form = h(
    'form',
    {
      class: 'login',
      onsubmit: (e) => {
        e.preventDefault();
        submit.disabled = true;
        void (async () => {
          try {
            const r = await api.post<{ token: string; user: User }>('/api/login', { username: username.value, password: password.value });
            api.token = r.token;
            await o.onSignedIn(r.user);
          } catch (err) {
            msg.textContent =
              err instanceof ApiFailure && err.status === 429 ? t('login.locked') : t('login.failed', { reason: describeError(t, err) });
          } finally {
            submit.disabled = false;
          }
        })();
      },
    },
    h('h1', {}, t('app.title')),
    o.notice ? h('div', { class: 'notice', 'data-testid': 'login-notice', role: 'alert' }, o.notice) : null,
    h('h2', {}, t('login.title')),
    h('label', {}, t('login.username'), username),
    h('label', {}, t('login.password'), password),
    submit,
    msg,
    h('button', { type: 'button', class: 'link', 'data-testid': 'lang-switch', onclick: () => o.onSwitchLang() }, t('lang.switch')),
  );
  fill(root, form);
  username.focus();
}
