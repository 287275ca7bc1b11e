/** Several rtmskit instances on one Redis, behaving as one: leases, routing, takeover. */
export * from './FleetMember.js';
export { sendToInbox } from './Inbox.js';
export { type Lease, LeaseTable, RELEASED_HOLDER, type RenewResult } from './LeaseTable.js';
