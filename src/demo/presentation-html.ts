/** Slide and deck HTML for the presentation demo. Every text is escaped. */

export interface Slide {
  title: string;
  body: string;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const STYLE = `body{margin:0;font-family:system-ui,sans-serif;background:#f4f1ec;color:#222}
section.slide{box-sizing:border-box;width:min(960px,100%);aspect-ratio:16/9;margin:24px auto;padding:48px 64px;
background:#fff;border-radius:12px;box-shadow:0 2px 12px #0002;overflow:hidden}
section.slide h2{margin-top:0;font-size:2.2em;color:#a0401c}
section.slide footer{color:#888;font-size:.8em}
header.deck{text-align:center;padding:24px}`;

/** Blank-line separated paragraphs; lines starting with "- " become a list. */
function bodyHtml(body: string): string {
  return body
    .split(/\n\s*\n/)
    .map((block) => block.trim())
    .filter((block) => block.length > 0)
    .map((block) => {
      const lines = block.split('\n').map((l) => l.trim());
      if (lines.every((l) => l.startsWith('- '))) {
        return `<ul>${lines.map((l) => `<li>${escapeHtml(l.slice(2))}</li>`).join('')}</ul>`;
      }
      return `<p>${lines.map(escapeHtml).join('<br>')}</p>`;
    })
    .join('\n');
}

export function slideSection(slide: Slide, number: number, total: number): string {
  return `<section class="slide" id="slide-${number}">
<h2>${escapeHtml(slide.title)}</h2>
${bodyHtml(slide.body)}
<footer>${number} / ${total}</footer>
</section>`;
}

function page(title: string, content: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>
${content}
</body>
</html>
`;
}

export function slidePage(deckTitle: string, slide: Slide, number: number, total: number): string {
  return page(`${deckTitle}: ${slide.title}`, slideSection(slide, number, total));
}

export function deckPage(deckTitle: string, sections: string[]): string {
  return page(
    deckTitle,
    `<header class="deck"><h1>${escapeHtml(deckTitle)}</h1></header>\n${sections.join('\n')}`,
  );
}

export function slideFileName(number: number): string {
  return `slide-${String(number).padStart(2, '0')}.html`;
}
