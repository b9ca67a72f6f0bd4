// The Athena client, loaded on first use (only a source on the athena engine needs it). A dynamic
// import of the package itself would keep every Athena command in the bundle: the bundler cannot
// tell which exports a module loaded at run time is asked for. Imported from here, only the client
// is kept (the commands come with ./athena-query.ts).
export { AthenaClient } from '@aws-sdk/client-athena';
