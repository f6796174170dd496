/**
 * An artifact shown inline: text in a <pre>, images as an <img>, HTML in an iframe with
 * an empty `sandbox` (no script, no same-origin, no forms, no navigation).
 */
import { useEffect, useState } from 'react';
import { artifactUrl } from '../api/index.ts';
import type { ArtifactInfoBody } from '../api/types.ts';

type Preview =
  | { kind: 'text' | 'html'; text: string }
  | { kind: 'image'; url: string }
  | { kind: 'none'; message: string };

const MAX_PREVIEW_BYTES = 2 * 1024 * 1024;

function kindOf(a: ArtifactInfoBody): 'text' | 'html' | 'image' | 'none' {
  const t = (a.contentType ?? '').toLowerCase();
  if (t.startsWith('text/html') || /\.html?$/i.test(a.name)) return 'html';
  if (t.startsWith('image/')) return 'image';
  if (t.startsWith('text/') || t.includes('json') || /\.(md|txt|json|csv|log)$/i.test(a.name))
    return 'text';
  return 'none';
}

export function ArtifactPreview({ artifact }: { artifact: ArtifactInfoBody }) {
  const [preview, setPreview] = useState<Preview>();
  useEffect(() => {
    let url: string | undefined;
    const kind = kindOf(artifact);
    if (kind === 'none' || artifact.sizeBytes > MAX_PREVIEW_BYTES) {
      setPreview({
        kind: 'none',
        message:
          kind === 'none'
            ? 'No preview for this type; download it.'
            : 'Too large to preview; download it.',
      });
      return;
    }
    fetch(artifactUrl(artifact.jobId, artifact.name), { credentials: 'same-origin' })
      .then(async (r) => {
        if (!r.ok) throw new Error(`HTTP ${r.status}`);
        if (kind === 'image') {
          url = URL.createObjectURL(await r.blob());
          setPreview({ kind, url });
        } else setPreview({ kind, text: await r.text() });
      })
      .catch((e: unknown) => setPreview({ kind: 'none', message: `Cannot preview: ${String(e)}` }));
    return () => {
      if (url) URL.revokeObjectURL(url);
    };
  }, [artifact]);
  if (!preview) return <p className="muted">Loading preview…</p>;
  switch (preview.kind) {
    case 'text':
      return <pre className="artifact-text">{preview.text}</pre>;
    case 'html':
      return (
        <iframe
          className="artifact-html"
          title={`Preview of ${artifact.name}`}
          sandbox=""
          srcDoc={preview.text}
        />
      );
    case 'image':
      return (
        <img className="artifact-image" src={preview.url} alt={`Preview of ${artifact.name}`} />
      );
    default:
      return <p className="muted">{preview.message}</p>;
  }
}
