import type { Schemas } from "./api/client";

export type Ticket = Schemas["ticketing.tickets.v1.Ticket"];
export type Status = NonNullable<Ticket["status"]>;
export type Priority = NonNullable<Ticket["priority"]>;

export const STATUSES: Status[] = [
  "TICKET_STATUS_PENDING_APPROVAL",
  "TICKET_STATUS_PENDING_ASSIGNMENT",
  "TICKET_STATUS_ASSIGNED",
  "TICKET_STATUS_IN_PROGRESS",
  "TICKET_STATUS_WAITING_ON_CUSTOMER",
  "TICKET_STATUS_RESOLVED",
  "TICKET_STATUS_CLOSED",
  "TICKET_STATUS_REJECTED",
  "TICKET_STATUS_CANCELLED",
];
export const PRIORITIES: Priority[] = ["PRIORITY_LOW", "PRIORITY_NORMAL", "PRIORITY_HIGH", "PRIORITY_URGENT"];
