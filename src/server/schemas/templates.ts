/** Templates (presets): a saved recipe for a batch, a job type with params and a grid. */
import { z } from '@hono/zod-openapi';
import { GridSchema } from './batches.ts';
import { JsonObject, NullableTime, Time } from './common.ts';
import { ScheduleSchema, TemplateScheduleSchema, WebhookSchema } from './webhooks.ts';

export const TemplateName = z
  .string()
  .regex(/^[\w .:-]{1,100}$/, 'template names are 1-100 letters, digits, spaces or . _ : -');

export const TemplateNameParam = z.object({
  name: z.string().openapi({ param: { name: 'name', in: 'path' }, example: 'curriculum-grid' }),
});

const templateFields = {
  type: z.string().min(1).max(64).openapi({ description: 'The job type each cell runs' }),
  description: z.string().max(1_000).optional(),
  params: JsonObject.optional().openapi({ description: 'Default params of every job' }),
  grid: GridSchema.optional(),
  webhook: WebhookSchema.optional().openapi({
    description: 'Batches made from the template POST their end here (unless they name their own)',
  }),
  schedule: ScheduleSchema.optional().openapi({
    description:
      'Each cron tick creates a batch from the template, exactly once (docs/API.md, Scheduled batches); invalid cron or time zone: 400 INVALID_SCHEDULE',
  }),
};

export const CreateTemplateSchema = z
  .strictObject({ name: TemplateName, ...templateFields })
  .openapi('CreateTemplate');
export type CreateTemplateRequest = z.infer<typeof CreateTemplateSchema>;

/** PUT names the template in its path; a `name` in the body, if any, must be the same. */
export const PutTemplateSchema = z
  .strictObject({ name: TemplateName.optional(), ...templateFields })
  .openapi('PutTemplate');
export type PutTemplateRequest = z.infer<typeof PutTemplateSchema>;

export const TemplateSchema = z
  .object({
    name: z.string(),
    type: z.string(),
    description: z.string().nullable(),
    params: JsonObject,
    grid: GridSchema.nullable(),
    source: z
      .enum(['code', 'store'])
      .openapi({ description: "'code': defined in code and written on start" }),
    createdAt: Time,
    updatedAt: Time,
    webhook: z.object({ url: z.string() }).nullable(),
    schedule: TemplateScheduleSchema.nullable(),
    lastTickAt: NullableTime.openapi({
      description: 'The last schedule tick that created (or skipped) a batch',
    }),
  })
  .openapi('Template');
export type TemplateBody = z.infer<typeof TemplateSchema>;

export const TemplatesSchema = z.object({ items: z.array(TemplateSchema) }).openapi('Templates');
