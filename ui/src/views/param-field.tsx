/** One params field of the New batch form, by its kind, with its inline error and grid-axis input. */
import { enumLabel, type Field } from '../forms/schema-fields.ts';

export interface ParamFieldProps {
  field: Field;
  raw: string | boolean;
  axis: string;
  error: string | undefined;
  onChange(raw: string | boolean): void;
  onAxis(raw: string): void;
  /** The field was left (blur): its error may show now. */
  onTouch(): void;
}

export function ParamField({
  field,
  raw,
  axis,
  error,
  onChange,
  onAxis,
  onTouch,
}: ParamFieldProps) {
  const id = `param-${field.key}`;
  const errorId = `${id}-error`;
  const common = {
    id,
    'data-testid': id,
    'aria-invalid': error !== undefined,
    'aria-describedby': error ? errorId : undefined,
    disabled: axis.trim() !== '',
    onBlur: onTouch,
  };
  const s = field.schema;
  let input: React.ReactNode;
  switch (field.kind) {
    case 'boolean':
      input = (
        <input
          type="checkbox"
          {...common}
          checked={raw === true}
          onChange={(e) => onChange(e.target.checked)}
        />
      );
      break;
    case 'enum':
      input = (
        <select
          {...common}
          value={String(raw)}
          onChange={(e) => onChange(e.target.value)}
          required={field.required}
        >
          <option value="">—</option>
          {field.enumValues!.map((v) => (
            <option key={enumLabel(v)} value={enumLabel(v)}>
              {enumLabel(v)}
            </option>
          ))}
        </select>
      );
      break;
    case 'number':
    case 'integer':
      input = (
        <input
          type="number"
          inputMode={field.kind === 'integer' ? 'numeric' : 'decimal'}
          step={field.kind === 'integer' ? 1 : 'any'}
          min={s.minimum}
          max={s.maximum}
          {...common}
          value={String(raw)}
          onChange={(e) => onChange(e.target.value)}
        />
      );
      break;
    case 'json':
      input = (
        <textarea
          rows={6}
          spellCheck={false}
          {...common}
          value={String(raw)}
          onChange={(e) => onChange(e.target.value)}
          placeholder="JSON"
        />
      );
      break;
    default:
      input = (
        <input
          type="text"
          {...common}
          value={String(raw)}
          onChange={(e) => onChange(e.target.value)}
          placeholder={field.kind === 'string-array' ? 'comma-separated' : undefined}
        />
      );
  }
  return (
    <div className={`field field-${field.kind}`}>
      <label htmlFor={id}>
        {field.label}
        {field.required ? <span aria-hidden="true"> *</span> : null}
      </label>
      {input}
      {field.description ? <small className="muted">{field.description}</small> : null}
      {field.axis ? (
        <label className="axis">
          <span>grid axis</span>
          <input
            type="text"
            data-testid={`grid-axis-${field.key}`}
            aria-label={`${field.label} grid axis (comma-separated values)`}
            value={axis}
            placeholder="e.g. a, b, c"
            onChange={(e) => onAxis(e.target.value)}
            onBlur={onTouch}
          />
        </label>
      ) : null}
      {error ? (
        <span
          className="field-error"
          id={errorId}
          data-testid={`param-error-${field.key}`}
          role="alert"
        >
          {error}
        </span>
      ) : null}
    </div>
  );
}
