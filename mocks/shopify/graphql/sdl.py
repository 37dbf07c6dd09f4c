"""The schema subset of Shopify's GraphQL Admin API that the mock serves, as SDL.

Names, nullability and argument defaults follow shopify.dev's reference for 2026-01..2026-07.
One schema serves every supported version; the version-dependent rules (compareQuantity vs
changeFromQuantity, mandatory ``@idempotent``) are enforced at run time, which is also where
Shopify enforces the mandatory directive ("doesn't show up as mandatory at the schema level").
"""

from __future__ import annotations

SDL = '''
"""Shopify's idempotency key for retried mutations (optional from 2026-01, required on
inventoryAdjustQuantities and refundCreate from 2026-04)."""
directive @idempotent(key: String!) on FIELD

scalar DateTime
scalar Decimal
scalar Money
scalar URL

enum CurrencyCode { USD EUR GBP CAD AUD JPY }
enum CountPrecision { EXACT AT_LEAST }
enum OrderSortKeys { ID CREATED_AT UPDATED_AT PROCESSED_AT ORDER_NUMBER }
enum ProductSortKeys { ID TITLE }
enum OrderDisplayFulfillmentStatus {
  FULFILLED IN_PROGRESS ON_HOLD OPEN PARTIALLY_FULFILLED PENDING_FULFILLMENT
  REQUEST_DECLINED RESTOCKED SCHEDULED UNFULFILLED
}
enum OrderDisplayFinancialStatus {
  AUTHORIZED EXPIRED PAID PARTIALLY_PAID PARTIALLY_REFUNDED PENDING REFUNDED VOIDED
}
enum InventorySetQuantitiesUserErrorCode {
  CHANGE_FROM_QUANTITY_STALE COMPARE_QUANTITY_REQUIRED COMPARE_QUANTITY_STALE
  IDEMPOTENCY_CONCURRENT_REQUEST IDEMPOTENCY_KEY_PARAMETER_MISMATCH INVALID_INVENTORY_ITEM
  INVALID_LOCATION INVALID_NAME INVALID_QUANTITY_NEGATIVE INVALID_QUANTITY_TOO_HIGH
  INVALID_QUANTITY_TOO_LOW INVALID_REASON INVALID_REFERENCE_DOCUMENT
  ITEM_NOT_STOCKED_AT_LOCATION NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR
  NON_MUTABLE_INVENTORY_ITEM
}
enum InventoryAdjustQuantitiesUserErrorCode {
  CHANGE_FROM_QUANTITY_STALE IDEMPOTENCY_CONCURRENT_REQUEST IDEMPOTENCY_KEY_PARAMETER_MISMATCH
  INTERNAL_LEDGER_DOCUMENT INVALID_AVAILABLE_DOCUMENT INVALID_INVENTORY_ITEM
  INVALID_LEDGER_DOCUMENT INVALID_LOCATION INVALID_QUANTITY_DOCUMENT INVALID_QUANTITY_NAME
  INVALID_QUANTITY_TOO_HIGH INVALID_QUANTITY_TOO_LOW INVALID_REASON INVALID_REFERENCE_DOCUMENT
  ITEM_NOT_STOCKED_AT_LOCATION MAX_ONE_LEDGER_DOCUMENT NON_MUTABLE_INVENTORY_ITEM
}

type PageInfo {
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
  startCursor: String
  endCursor: String
}

type Count { count: Int! precision: CountPrecision! }

type MoneyV2 { amount: Decimal! currencyCode: CurrencyCode! }
type MoneyBag { shopMoney: MoneyV2! presentmentMoney: MoneyV2! }

type Shop {
  id: ID!
  name: String!
  myshopifyDomain: String!
  currencyCode: CurrencyCode!
}

type Location {
  id: ID!
  legacyResourceId: String!
  name: String!
  isActive: Boolean!
}
type LocationEdge { cursor: String! node: Location! }
type LocationConnection { edges: [LocationEdge!]! nodes: [Location!]! pageInfo: PageInfo! }

type InventoryQuantity { id: ID! name: String! quantity: Int! updatedAt: DateTime }

type InventoryLevel {
  id: ID!
  location: Location!
  item: InventoryItem!
  updatedAt: DateTime!
  quantities(names: [String!]!): [InventoryQuantity!]!
}
type InventoryLevelEdge { cursor: String! node: InventoryLevel! }
type InventoryLevelConnection {
  edges: [InventoryLevelEdge!]!
  nodes: [InventoryLevel!]!
  pageInfo: PageInfo!
}

type InventoryItem {
  id: ID!
  legacyResourceId: String!
  sku: String
  tracked: Boolean!
  variant: ProductVariant!
  inventoryLevel(locationId: ID!): InventoryLevel
  inventoryLevels(first: Int, after: String, last: Int, before: String): InventoryLevelConnection!
}
type InventoryItemEdge { cursor: String! node: InventoryItem! }
type InventoryItemConnection {
  edges: [InventoryItemEdge!]!
  nodes: [InventoryItem!]!
  pageInfo: PageInfo!
}

type ProductVariant {
  id: ID!
  legacyResourceId: String!
  title: String!
  sku: String
  price: Money!
  inventoryQuantity: Int
  inventoryItem: InventoryItem!
  product: Product!
}
type ProductVariantEdge { cursor: String! node: ProductVariant! }
type ProductVariantConnection {
  edges: [ProductVariantEdge!]!
  nodes: [ProductVariant!]!
  pageInfo: PageInfo!
}

type Product {
  id: ID!
  legacyResourceId: String!
  title: String!
  totalInventory: Int!
  variants(first: Int, after: String, last: Int, before: String): ProductVariantConnection!
}
type ProductEdge { cursor: String! node: Product! }
type ProductConnection { edges: [ProductEdge!]! nodes: [Product!]! pageInfo: PageInfo! }

type DiscountAllocation { allocatedAmountSet: MoneyBag! }
type TaxLine { title: String! rate: Float ratePercentage: Float priceSet: MoneyBag! }

type LineItem {
  id: ID!
  sku: String
  name: String!
  title: String!
  quantity: Int!
  currentQuantity: Int!
  unfulfilledQuantity: Int!
  variant: ProductVariant
  originalUnitPriceSet: MoneyBag!
  totalDiscountSet: MoneyBag!
  discountAllocations: [DiscountAllocation!]!
  taxLines: [TaxLine!]!
}
type LineItemEdge { cursor: String! node: LineItem! }
type LineItemConnection { edges: [LineItemEdge!]! nodes: [LineItem!]! pageInfo: PageInfo! }

type Order {
  id: ID!
  legacyResourceId: String!
  name: String!
  email: String
  createdAt: DateTime!
  updatedAt: DateTime!
  processedAt: DateTime!
  cancelledAt: DateTime
  closedAt: DateTime
  currencyCode: CurrencyCode!
  displayFulfillmentStatus: OrderDisplayFulfillmentStatus!
  displayFinancialStatus: OrderDisplayFinancialStatus
  totalPriceSet: MoneyBag!
  subtotalPriceSet: MoneyBag
  totalTaxSet: MoneyBag
  totalDiscountsSet: MoneyBag
  totalShippingPriceSet: MoneyBag!
  lineItems(first: Int, after: String, last: Int, before: String): LineItemConnection!
}
type OrderEdge { cursor: String! node: Order! }
type OrderConnection { edges: [OrderEdge!]! nodes: [Order!]! pageInfo: PageInfo! }

type Query {
  shop: Shop!
  products(first: Int, after: String, last: Int, before: String, query: String,
           sortKey: ProductSortKeys = ID, reverse: Boolean = false): ProductConnection!
  product(id: ID!): Product
  productVariants(first: Int, after: String, last: Int, before: String, query: String,
                  reverse: Boolean = false): ProductVariantConnection!
  productVariant(id: ID!): ProductVariant
  inventoryItems(first: Int, after: String, last: Int, before: String, query: String,
                 reverse: Boolean = false): InventoryItemConnection!
  inventoryItem(id: ID!): InventoryItem
  locations(first: Int, after: String, last: Int, before: String,
            reverse: Boolean = false): LocationConnection!
  location(id: ID): Location
  orders(first: Int, after: String, last: Int, before: String, query: String,
         sortKey: OrderSortKeys = ID, reverse: Boolean = false): OrderConnection!
  order(id: ID!): Order
  ordersCount(query: String, limit: Int = 10000): Count
}

type InventoryChange {
  name: String!
  delta: Int!
  quantityAfterChange: Int
  ledgerDocumentUri: URL
  item: InventoryItem
  location: Location
}
type InventoryAdjustmentGroup {
  id: ID!
  createdAt: DateTime!
  reason: String!
  referenceDocumentUri: URL
  changes(inventoryItemIds: [ID!], locationIds: [ID!], quantityNames: [String!]):
    [InventoryChange!]!
}

input InventoryQuantityInput {
  inventoryItemId: ID!
  locationId: ID!
  quantity: Int!
  compareQuantity: Int
  changeFromQuantity: Int
}
input InventorySetQuantitiesInput {
  name: String!
  reason: String!
  referenceDocumentUri: URL
  ignoreCompareQuantity: Boolean = false
  quantities: [InventoryQuantityInput!]!
}
type InventorySetQuantitiesUserError {
  field: [String!]
  message: String!
  code: InventorySetQuantitiesUserErrorCode
}
type InventorySetQuantitiesPayload {
  inventoryAdjustmentGroup: InventoryAdjustmentGroup
  userErrors: [InventorySetQuantitiesUserError!]!
}

input InventoryChangeInput {
  inventoryItemId: ID!
  locationId: ID!
  delta: Int!
  ledgerDocumentUri: URL
  changeFromQuantity: Int
}
input InventoryAdjustQuantitiesInput {
  name: String!
  reason: String!
  referenceDocumentUri: URL
  changes: [InventoryChangeInput!]!
}
type InventoryAdjustQuantitiesUserError {
  field: [String!]
  message: String!
  code: InventoryAdjustQuantitiesUserErrorCode
}
type InventoryAdjustQuantitiesPayload {
  inventoryAdjustmentGroup: InventoryAdjustmentGroup
  userErrors: [InventoryAdjustQuantitiesUserError!]!
}

type Mutation {
  inventorySetQuantities(input: InventorySetQuantitiesInput!): InventorySetQuantitiesPayload
  inventoryAdjustQuantities(input: InventoryAdjustQuantitiesInput!):
    InventoryAdjustQuantitiesPayload
}
'''
