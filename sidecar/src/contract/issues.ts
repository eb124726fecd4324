import type { z } from 'zod';

/** Flatten zod issues into one readable line: `[0].properties.value: expected number, received string`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      const where = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
      return `${where || 'body'}: ${issue.message}`;
    })
    .join('; ');
}
