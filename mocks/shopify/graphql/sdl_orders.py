"""The order-lifecycle part of the schema: fulfillment orders, fulfillments, cancel, refunds, edits.

Appended to :data:`mocks.shopify.graphql.sdl.SDL` (``extend type`` adds the fields to ``Order``,
``LineItem``, ``Query`` and ``Mutation``). Names, nullability and enum values follow
shopify.dev's reference for 2026-01..2026-07 (PLATFORMS.md 1.7, 1.8); ``orderCancel`` keeps the
``refund: Boolean!`` argument of those versions.
"""

from __future__ import annotations

ORDERS_SDL = """
enum FulfillmentOrderStatus {
  CANCELLED CLOSED INCOMPLETE IN_PROGRESS ON_HOLD OPEN SCHEDULED
}
enum FulfillmentStatus { CANCELLED ERROR FAILURE OPEN PENDING SUCCESS }
enum OrderCancelReason { CUSTOMER DECLINED FRAUD INVENTORY OTHER STAFF }
enum OrderCancelUserErrorCode { INVALID NOT_FOUND NO_REFUND_PERMISSION }
enum RefundLineItemRestockType { CANCEL LEGACY_RESTOCK NO_RESTOCK RETURN }
enum OrderTransactionKind {
  AUTHORIZATION CAPTURE CHANGE EMV_AUTHORIZATION REFUND SALE SUGGESTED_REFUND VOID
}
enum OrderTransactionStatus { AWAITING_RESPONSE ERROR FAILURE PENDING SUCCESS UNKNOWN }

type UserError { field: [String!] message: String! }

type Job { id: ID! done: Boolean! query: Query }

type FulfillmentOrderAssignedLocation { location: Location name: String! }
type FulfillmentOrderLineItem {
  id: ID!
  sku: String
  totalQuantity: Int!
  remainingQuantity: Int!
  lineItem: LineItem!
}
type FulfillmentOrderLineItemEdge { cursor: String! node: FulfillmentOrderLineItem! }
type FulfillmentOrderLineItemConnection {
  edges: [FulfillmentOrderLineItemEdge!]!
  nodes: [FulfillmentOrderLineItem!]!
  pageInfo: PageInfo!
}
type FulfillmentOrder {
  id: ID!
  orderId: ID!
  order: Order!
  status: FulfillmentOrderStatus!
  createdAt: DateTime!
  updatedAt: DateTime!
  assignedLocation: FulfillmentOrderAssignedLocation!
  lineItems(first: Int, after: String, last: Int, before: String):
    FulfillmentOrderLineItemConnection!
}
type FulfillmentOrderEdge { cursor: String! node: FulfillmentOrder! }
type FulfillmentOrderConnection {
  edges: [FulfillmentOrderEdge!]!
  nodes: [FulfillmentOrder!]!
  pageInfo: PageInfo!
}

type FulfillmentTrackingInfo { company: String number: String url: URL }
type Fulfillment {
  id: ID!
  name: String!
  status: FulfillmentStatus!
  createdAt: DateTime!
  updatedAt: DateTime!
  totalQuantity: Int!
  location: Location
  order: Order!
  trackingInfo(first: Int): [FulfillmentTrackingInfo!]!
}

type OrderTransaction {
  id: ID!
  kind: OrderTransactionKind!
  status: OrderTransactionStatus!
  gateway: String
  amountSet: MoneyBag!
  createdAt: DateTime!
}
type OrderTransactionEdge { cursor: String! node: OrderTransaction! }
type OrderTransactionConnection {
  edges: [OrderTransactionEdge!]!
  nodes: [OrderTransaction!]!
  pageInfo: PageInfo!
}

type RefundLineItem {
  id: ID
  quantity: Int!
  restockType: RefundLineItemRestockType!
  restocked: Boolean!
  location: Location
  lineItem: LineItem!
  priceSet: MoneyBag!
  subtotalSet: MoneyBag!
  totalTaxSet: MoneyBag!
}
type RefundLineItemEdge { cursor: String! node: RefundLineItem! }
type RefundLineItemConnection {
  edges: [RefundLineItemEdge!]!
  nodes: [RefundLineItem!]!
  pageInfo: PageInfo!
}
type Refund {
  id: ID!
  legacyResourceId: String!
  note: String
  createdAt: DateTime
  order: Order!
  totalRefundedSet: MoneyBag!
  refundLineItems(first: Int, after: String, last: Int, before: String): RefundLineItemConnection!
  transactions(first: Int, after: String, last: Int, before: String):
    OrderTransactionConnection!
}

type CalculatedLineItem {
  id: ID!
  sku: String
  title: String!
  quantity: Int!
  editableQuantity: Int!
  restocking: Boolean!
  variant: ProductVariant
  originalUnitPriceSet: MoneyBag!
}
type CalculatedLineItemEdge { cursor: String! node: CalculatedLineItem! }
type CalculatedLineItemConnection {
  edges: [CalculatedLineItemEdge!]!
  nodes: [CalculatedLineItem!]!
  pageInfo: PageInfo!
}
type CalculatedOrder {
  id: ID!
  committed: Boolean!
  originalOrder: Order!
  lineItems(first: Int, after: String, last: Int, before: String): CalculatedLineItemConnection!
  addedLineItems(first: Int, after: String, last: Int, before: String):
    CalculatedLineItemConnection!
}

extend type LineItem { fulfillableQuantity: Int! refundableQuantity: Int! }

extend type Order {
  cancelReason: OrderCancelReason
  currentTotalPriceSet: MoneyBag!
  currentSubtotalPriceSet: MoneyBag!
  fulfillmentOrders(first: Int, after: String, last: Int, before: String,
                    reverse: Boolean = false): FulfillmentOrderConnection!
  fulfillments(first: Int): [Fulfillment!]!
  refunds(first: Int): [Refund!]!
  transactions(first: Int): [OrderTransaction!]!
}

extend type Query {
  fulfillmentOrder(id: ID!): FulfillmentOrder
  fulfillment(id: ID!): Fulfillment
  refund(id: ID!): Refund
  job(id: ID!): Job
}

input FulfillmentOrderLineItemInput { id: ID! quantity: Int! }
input FulfillmentOrderLineItemsInput {
  fulfillmentOrderId: ID!
  fulfillmentOrderLineItems: [FulfillmentOrderLineItemInput!]
}
input FulfillmentTrackingInput {
  number: String
  numbers: [String!]
  url: URL
  urls: [URL!]
  company: String
}
input FulfillmentOriginAddressInput {
  address1: String
  address2: String
  city: String
  countryCode: String!
  provinceCode: String
  zip: String
}
input FulfillmentV2Input {
  lineItemsByFulfillmentOrder: [FulfillmentOrderLineItemsInput!]!
  notifyCustomer: Boolean = false
  originAddress: FulfillmentOriginAddressInput
  trackingInfo: FulfillmentTrackingInput
}
type FulfillmentCreatePayload { fulfillment: Fulfillment userErrors: [UserError!]! }

type OrderCancelUserError {
  field: [String!]
  message: String!
  code: OrderCancelUserErrorCode
}
type OrderCancelPayload {
  job: Job
  orderCancelUserErrors: [OrderCancelUserError!]!
  userErrors: [UserError!]!
}

input ShippingRefundInput { amount: Money fullRefund: Boolean }
input RefundLineItemInput {
  lineItemId: ID!
  quantity: Int!
  restockType: RefundLineItemRestockType
  locationId: ID
}
input OrderTransactionInput {
  amount: Money!
  gateway: String!
  kind: OrderTransactionKind!
  orderId: ID!
  parentId: ID
}
input RefundInput {
  orderId: ID!
  note: String
  notify: Boolean
  currency: CurrencyCode
  shipping: ShippingRefundInput
  refundLineItems: [RefundLineItemInput!]
  transactions: [OrderTransactionInput!]
}
type RefundCreatePayload { refund: Refund order: Order userErrors: [UserError!]! }

type OrderEditBeginPayload { calculatedOrder: CalculatedOrder userErrors: [UserError!]! }
type OrderEditSetQuantityPayload {
  calculatedOrder: CalculatedOrder
  calculatedLineItem: CalculatedLineItem
  userErrors: [UserError!]!
}
type OrderEditAddVariantPayload {
  calculatedOrder: CalculatedOrder
  calculatedLineItem: CalculatedLineItem
  userErrors: [UserError!]!
}
type OrderEditCommitPayload { order: Order userErrors: [UserError!]! }

extend type Mutation {
  fulfillmentCreate(fulfillment: FulfillmentV2Input!, message: String): FulfillmentCreatePayload
  orderCancel(orderId: ID!, reason: OrderCancelReason!, refund: Boolean!, restock: Boolean!,
              notifyCustomer: Boolean = false, staffNote: String): OrderCancelPayload
  refundCreate(input: RefundInput!): RefundCreatePayload
  orderEditBegin(id: ID!): OrderEditBeginPayload
  orderEditSetQuantity(id: ID!, lineItemId: ID!, quantity: Int!, restock: Boolean = false):
    OrderEditSetQuantityPayload
  orderEditAddVariant(id: ID!, variantId: ID!, quantity: Int!, locationId: ID,
                      allowDuplicates: Boolean = false): OrderEditAddVariantPayload
  orderEditCommit(id: ID!, notifyCustomer: Boolean, staffNote: String): OrderEditCommitPayload
}
"""
