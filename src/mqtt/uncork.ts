/**
 * Corked sockets are uncorked together once per turn of the event loop, so every packet written
 * to a connection in one turn leaves in one write.
 */
export class UncorkBatch {
  private list: { uncork(): void }[] = [];
  private scheduled = false;

  add(conn: { uncork(): void }): void {
    this.list.push(conn);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flush);
  }

  private flush = (): void => {
    this.scheduled = false;
    const list = this.list;
    this.list = [];
    for (const c of list) c.uncork();
  };
}
