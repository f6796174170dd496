/**
 * The demo job types, mirroring where Kiln comes from: a curriculum generator and a
 * presentation service. They use the public API only, as any application would.
 */
import { curriculum } from './curriculum.ts';
import { presentation } from './presentation.ts';

export { curriculum } from './curriculum.ts';
export { DEFAULT_PACE_MS } from './pace.ts';
export { PRESENTATION_RETENTION_MS, presentation } from './presentation.ts';
export { sleep } from './sleep.ts';
export { curriculumGrid, demoTemplates, presentationSample } from './templates.ts';

export const demoJobs = [curriculum, presentation];
