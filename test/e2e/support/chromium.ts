/**
 * Debian's Chromium and what page-side code needs, without vitest (the bench uses it too).
 */
import type { Page } from 'playwright-core';

export const CHROMIUM = process.env.KILN_CHROMIUM ?? '/usr/bin/chromium';
/** Headless, no sandbox (root), no GPU, nothing that reaches beyond loopback. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * The few DOM members that functions run in the page use: the project compiles without
 * lib.dom, so page-side code reaches them through `globalThis as unknown as PageWindow`.
 */
export interface PageElement {
  readonly textContent: string | null;
  readonly scrollWidth: number;
  readonly clientWidth: number;
  readonly scrollHeight: number;
  getAttribute(name: string): string | null;
  closest(selector: string): PageElement | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement>;
}
export interface PageMutation {
  readonly type: string;
  readonly target: PageElement & { readonly parentElement: PageElement | null };
  readonly attributeName: string | null;
}
export interface PageWindow {
  document: PageElement & { documentElement: PageElement; body: PageElement };
  requestAnimationFrame(callback: () => void): number;
  getComputedStyle(element: PageElement): { backgroundColor: string };
  MutationObserver: new (
    callback: (mutations: PageMutation[]) => void,
  ) => {
    observe(
      target: PageElement,
      options: {
        subtree?: boolean;
        childList?: boolean;
        characterData?: boolean;
        attributes?: boolean;
        attributeFilter?: string[];
      },
    ): void;
    disconnect(): void;
  };
  [marker: string]: unknown;
}

/** Two animation frames: whatever the page scheduled for the next render has rendered. */
export function frames(page: Page): Promise<void> {
  return page.evaluate(() => {
    const w = globalThis as unknown as PageWindow;
    return new Promise<void>((resolve) =>
      w.requestAnimationFrame(() => w.requestAnimationFrame(() => resolve())),
    );
  });
}
