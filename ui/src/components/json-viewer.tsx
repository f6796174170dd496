/** JSON as a collapsible tree (details/summary: keyboard-usable for free). */
export function JsonViewer(props: { value: unknown; name?: string; depth?: number }) {
  const { value, name, depth = 0 } = props;
  const label = name === undefined ? null : <span className="json-key">{name}: </span>;
  if (value === null || typeof value !== 'object') {
    return (
      <div className="json-leaf">
        {label}
        <span className={`json-${value === null ? 'null' : typeof value}`}>
          {JSON.stringify(value)}
        </span>
      </div>
    );
  }
  const entries = Array.isArray(value)
    ? value.map((v, i) => [String(i), v] as const)
    : Object.entries(value);
  const brackets = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  return (
    <details open={depth < 2} className="json-node">
      <summary>
        {label}
        {brackets[0]}
        <span className="json-count">
          {entries.length} {Array.isArray(value) ? 'items' : 'keys'}
        </span>
        {brackets[1]}
      </summary>
      <div className="json-children">
        {entries.map(([k, v]) => (
          <JsonViewer key={k} name={k} value={v} depth={depth + 1} />
        ))}
      </div>
    </details>
  );
}
