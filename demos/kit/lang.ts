// The English / 中文 toggle. Static text is written twice (`<span lang="en">…</span><span lang="zh">…</span>`)
// and kit.css shows the one of `html[data-lang]`; text made by scripts goes through `t()` and is redrawn on a
// change. The choice is kept in localStorage and may be forced with `?lang=zh`.
export type Lang = 'en' | 'zh';

const listeners = new Set<(lang: Lang) => void>();

function initial(): Lang {
  const asked = new URLSearchParams(location.search).get('lang');
  if (asked === 'en' || asked === 'zh') return asked;
  try {
    const kept = localStorage.getItem('switchboard-demos-lang');
    if (kept === 'en' || kept === 'zh') return kept;
  } catch {
    // Storage can be off (private modes): the language is then the page's default.
  }
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

let current: Lang = initial();

export function lang(): Lang {
  return current;
}

export function setLang(next: Lang): void {
  current = next;
  document.documentElement.dataset.lang = next;
  document.documentElement.lang = next === 'zh' ? 'zh-CN' : 'en';
  for (const b of document.querySelectorAll<HTMLButtonElement>('button[data-lang]'))
    b.setAttribute('aria-pressed', String(b.dataset.lang === next));
  try {
    localStorage.setItem('switchboard-demos-lang', next);
  } catch {
    // See initial().
  }
  for (const l of listeners) l(next);
}

export function onLang(listener: (lang: Lang) => void): void {
  listeners.add(listener);
}

/** Wires every `button[data-lang]` of the page and applies the current language. */
export function setupLang(): void {
  for (const b of document.querySelectorAll<HTMLButtonElement>('button[data-lang]')) {
    b.addEventListener('click', () => setLang(b.dataset.lang === 'zh' ? 'zh' : 'en'));
  }
  setLang(current);
}

// Loaded on its own (the index page), it sets itself up.
if (document.querySelector('body.index') !== null) setupLang();
