import { KilnError } from '../core/errors.ts';
import { isId } from '../core/ids.ts';
import type { ArtifactInfo } from '../core/model.ts';
import type { Store } from '../store/store.ts';

/** `kiln.artifacts`: the files jobs wrote, read back through the store. */
export function artifactsApi(store: Store) {
  return {
    list: async (jobId: string): Promise<ArtifactInfo[]> => store.listArtifacts(jobId),
    /**
     * The folder holding the job's artifact files on this machine (the embedded store
     * keeps them beside the database), or null where the store keeps them elsewhere.
     */
    path: (jobId: string): string | null => {
      if (!isId(jobId)) throw new KilnError('INVALID_ARGUMENT', `not a job id: ${String(jobId)}`);
      return store.artifactFolder(jobId);
    },
    read: async (jobId: string, name: string): Promise<Buffer> => {
      const data = await store.readArtifact(jobId, name);
      if (data === null) {
        throw new KilnError('ARTIFACT_NOT_FOUND', `job ${jobId} has no artifact \`${name}\``);
      }
      return data;
    },
  };
}
