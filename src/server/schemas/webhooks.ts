/** Batch-completion webhooks and template schedules, as the API takes and shows them. */
import { z } from '@hono/zod-openapi';
import { NullableTime } from './common.ts';

export const WebhookSchema = z
  .strictObject({
    url: z.string().min(1).max(2_000).openapi({
      description:
        'http(s) URL POSTed a signed summary when the batch ends; loopback, private and link-local targets are refused (400 INVALID_WEBHOOK) unless the server allows them',
      example: 'https://hooks.example.com/kiln',
    }),
  })
  .openapi('Webhook');

export const BatchWebhookSchema = z
  .object({
    url: z.string(),
    state: z.enum(['waiting', 'pending', 'delivered', 'dead']).openapi({
      description:
        "'waiting': the batch has not ended (or a retry reopened it); 'pending': queued or being retried; 'delivered': a 2xx answered; 'dead': given up",
    }),
    deliveryId: z
      .string()
      .nullable()
      .openapi({ description: 'The Kiln-Delivery header of this end' }),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    nextAttemptAt: NullableTime,
    deliveredAt: NullableTime,
  })
  .openapi('BatchWebhook');

export const ScheduleSchema = z
  .strictObject({
    cron: z.string().min(1).max(200).openapi({
      description: 'Five fields, or six with seconds first (croner syntax)',
      example: '0 15 * * 1-5',
    }),
    timezone: z
      .string()
      .max(100)
      .optional()
      .openapi({ description: 'IANA time zone; default UTC', example: 'Europe/Paris' }),
    missed: z.enum(['run-once', 'skip']).optional().openapi({
      description:
        "Ticks missed while no Kiln process ran: 'run-once' (default) creates one batch for the latest, 'skip' none",
    }),
  })
  .openapi('Schedule');

export const TemplateScheduleSchema = z
  .object({ cron: z.string(), timezone: z.string(), missed: z.enum(['run-once', 'skip']) })
  .openapi('TemplateSchedule');
