import { existingPathInsideRoot, PathRefused, type PathInsideRoot } from '../targets/files-root';
import { RemediationRefused } from './types';

/**
 * A path under a files target's root that exists, checked lexically and on disk (`existingPathInsideRoot`); a refusal
 * becomes the action's refusal.
 */
export async function resolveInsideRoot(
  root: string | undefined,
  template: string,
  labels: Readonly<Record<string, string>>,
): Promise<PathInsideRoot> {
  try {
    return await existingPathInsideRoot(root, template, labels);
  } catch (err) {
    if (err instanceof PathRefused) throw new RemediationRefused(err.message);
    throw err;
  }
}
