/** The HTTP API as typed calls (docs/API.md). */
import { request, withQuery } from './http.ts';
import type {
  ArtifactInfoBody,
  AttemptBody,
  BatchBody,
  BatchPageBody,
  CreateBatchRequest,
  CreateTemplateRequest,
  JobBody,
  JobPageBody,
  JobTypeBody,
  LogEntryBody,
  TemplateBody,
  TimelineBody,
} from './types.ts';

export { ApiError, fieldIssues } from './errors.ts';
export { onUnauthorized, withQuery } from './http.ts';
export type * from './types.ts';

const enc = encodeURIComponent;

export interface BatchFilter {
  state?: string;
  q?: string;
  template?: string;
}

export const api = {
  login: (token: string) => request<void>('POST', '/api/session', { token }),
  logout: () => request<void>('DELETE', '/api/session'),
  jobTypes: () => request<{ items: JobTypeBody[] }>('GET', '/api/job-types'),
  templates: () => request<{ items: TemplateBody[] }>('GET', '/api/templates'),
  createTemplate: (body: CreateTemplateRequest) =>
    request<TemplateBody>('POST', '/api/templates', body),
  batches: (filter: BatchFilter & { cursor?: string | null; limit?: number } = {}) =>
    request<BatchPageBody>('GET', withQuery('/api/batches', { ...filter })),
  batch: (id: string) => request<BatchBody>('GET', `/api/batches/${enc(id)}`),
  createBatch: (body: CreateBatchRequest) => request<BatchBody>('POST', '/api/batches', body),
  batchAction: (id: string, action: 'pause' | 'resume' | 'cancel' | 'retry-failed') =>
    request<BatchBody>('POST', `/api/batches/${enc(id)}/${action}`),
  timeline: (id: string, bucketMs: number) =>
    request<TimelineBody>('GET', withQuery(`/api/batches/${enc(id)}/timeline`, { bucketMs })),
  jobs: (q: {
    state?: string;
    type?: string;
    batchId?: string;
    cursor?: string | null;
    limit?: number;
  }) => request<JobPageBody>('GET', withQuery('/api/jobs', q)),
  job: (id: string) => request<JobBody>('GET', `/api/jobs/${enc(id)}`),
  jobAction: (id: string, action: 'cancel' | 'retry') =>
    request<JobBody>('POST', `/api/jobs/${enc(id)}/${action}`),
  attempts: (id: string) =>
    request<{ items: AttemptBody[] }>('GET', `/api/jobs/${enc(id)}/attempts`),
  logs: (id: string, afterId = 0) =>
    request<{ items: LogEntryBody[] }>(
      'GET',
      withQuery(`/api/jobs/${enc(id)}/logs`, { afterId, limit: 1000 }),
    ),
  artifacts: (id: string) =>
    request<{ items: ArtifactInfoBody[] }>('GET', `/api/jobs/${enc(id)}/artifacts`),
};

export const artifactUrl = (jobId: string, name: string) =>
  `/api/jobs/${enc(jobId)}/artifacts/${enc(name)}`;
export const exportUrl = (batchId: string) => `/api/batches/${enc(batchId)}/export`;
