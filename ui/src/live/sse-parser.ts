/**
 * The dashboard reads the event stream with the CLI's parser (src/cli/client): one SSE
 * parser for every client of ours, tested byte for byte (test/ui/sse-parser.test.ts).
 * It is plain TypeScript, no Node API.
 */
export { type SseMessage, SseParser } from '../../../src/cli/client/sse-parser.ts';
