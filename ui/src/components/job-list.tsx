/** A virtualized list of job rows: only the rows on screen exist in the DOM. */
import { useVirtualizer } from '@tanstack/react-virtual';
import { useRef } from 'react';
import { JobRow } from './job-row.tsx';

const ROW_PX = 44;

export function JobList(props: { ids: readonly string[]; showBatch?: boolean; label: string }) {
  const parent = useRef<HTMLElement>(null);
  const v = useVirtualizer({
    count: props.ids.length,
    getScrollElement: () => parent.current,
    estimateSize: () => ROW_PX,
    overscan: 10,
  });
  return (
    <section ref={parent} className="job-list" aria-label={props.label}>
      <div style={{ height: v.getTotalSize(), position: 'relative' }}>
        {v.getVirtualItems().map((item) => (
          <JobRow
            key={props.ids[item.index]}
            id={props.ids[item.index]!}
            showBatch={props.showBatch === true}
            style={{
              position: 'absolute',
              top: 0,
              left: 0,
              right: 0,
              height: ROW_PX,
              transform: `translateY(${item.start}px)`,
            }}
          />
        ))}
      </div>
    </section>
  );
}
