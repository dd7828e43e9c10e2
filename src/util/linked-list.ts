/** A place in a LinkedList; hold on to it to remove the value in O(1). */
export interface ListNode<T> {
  readonly value: T;
  prev: ListNode<T> | undefined;
  next: ListNode<T> | undefined;
  list: LinkedList<T> | undefined;
}

/** A node for `value`, in no list yet. */
export function listNode<T>(value: T): ListNode<T> {
  return { value, prev: undefined, next: undefined, list: undefined };
}

/**
 * A doubly linked list in insertion order: O(1) append, remove by node and oldest. For queues whose
 * members leave from the middle (a Map's first key gets slower as deleted entries pile up before it).
 */
export class LinkedList<T> {
  private head: ListNode<T> | undefined;
  private tail: ListNode<T> | undefined;
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The oldest value still in the list. */
  first(): T | undefined {
    return this.head?.value;
  }

  push(value: T): ListNode<T> {
    return this.append(listNode(value));
  }

  /** Appends a node that is in no list (one removed before, say): a value that comes and goes often keeps its node. */
  append(node: ListNode<T>): ListNode<T> {
    if (node.list !== undefined) throw new Error('the node is already in a list');
    node.prev = this.tail;
    node.next = undefined;
    node.list = this;
    if (this.tail) this.tail.next = node;
    else this.head = node;
    this.tail = node;
    this.count++;
    return node;
  }

  /** Removes the node if it is still in this list; a no-op otherwise. */
  remove(node: ListNode<T>): void {
    if (node.list !== this) return;
    if (node.prev) node.prev.next = node.next;
    else this.head = node.next;
    if (node.next) node.next.prev = node.prev;
    else this.tail = node.prev;
    node.prev = node.next = node.list = undefined;
    this.count--;
  }
}
