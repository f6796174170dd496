import { defineTemplate } from '../index.ts';
import { curriculum } from './curriculum.ts';
import { presentation } from './presentation.ts';

/** The origin's batch: one curriculum per subject and grade (3 × 3 = 9 jobs). */
export const curriculumGrid = defineTemplate({
  name: 'curriculum-grid',
  type: curriculum,
  description: 'Curriculum outlines for math, science and history, grades 3 to 5.',
  grid: { subject: ['math', 'science', 'history'], grade: [3, 4, 5] },
});

/** One short deck; its files are deleted 5 minutes after the job ends. */
export const presentationSample = defineTemplate({
  name: 'presentation-sample',
  type: presentation,
  description: 'A five-slide deck about Kiln, rendered slide by slide.',
  params: {
    title: 'Kiln in five slides',
    slides: [
      {
        title: 'Long jobs, visible',
        body: 'Run background jobs alone or as batches.\n\nWatch them live.',
      },
      {
        title: 'Never a torn status',
        body: '- Atomic status changes\n- Progress never goes backwards\n- Terminal states are final',
      },
      { title: 'Crash-safe', body: 'A crashed worker’s job runs again when its lease expires.' },
      {
        title: 'Batches and templates',
        body: 'A template and a grid expand to one job per combination.',
      },
      {
        title: 'Zero setup',
        body: 'Embedded on SQLite; PostgreSQL when one machine is not enough.',
      },
    ],
  },
});

export const demoTemplates = [curriculumGrid, presentationSample];
