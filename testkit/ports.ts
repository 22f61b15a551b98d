/** Ports for servers the kit starts: the worker's own helper, so there is one way to pick a port. */
export { freePort } from '../worker/free-port';
