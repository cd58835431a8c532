/**
 * The part of `@aws-sdk/client-s3` the archive uses, imported lazily by `archive-writers.ts`: a
 * module of named imports lets esbuild keep only these in the bundle (a dynamic import of the
 * package itself would keep every S3 command).
 */
export { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
