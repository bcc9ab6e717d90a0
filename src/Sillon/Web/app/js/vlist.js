// Virtualised lists and grids: only the rows in (or near) the viewport exist in the DOM, so
// 10,000+ albums scroll like 20. Rows have a fixed height; a grid is rows of `columns` cells.
// Items come from a PagedSource that fetches pages as they scroll into view.

export class PagedSource {
  constructor(fetchPage, pageSize = 200) {
    this.fetchPage = fetchPage; // (offset, limit) => Promise<{items, total}>
    this.pageSize = pageSize;
    this.pages = new Map();
    this.total = null;
    this.onUpdate = () => {};
  }
  async start() { await this.#load(0); return this; }
  get(i) {
    const page = Math.floor(i / this.pageSize);
    const items = this.pages.get(page);
    if (items === undefined) { this.#load(page); return undefined; }
    return items?.[i - page * this.pageSize];
  }
  async #load(page) {
    if (this.pages.has(page)) return;
    this.pages.set(page, null); // in flight
    try {
      const result = await this.fetchPage(page * this.pageSize, this.pageSize);
      this.total = result.total;
      this.pages.set(page, result.items);
      this.onUpdate();
    } catch (e) {
      this.pages.delete(page);
      throw e;
    }
  }
}

/**
 * Renders `count` items into `host` using `scroller` (the element that scrolls).
 * options: { rowHeight, minCellWidth (grid only), gap, render(el, index), create() → element }
 */
export class VirtualList {
  constructor(host, scroller, { count, rowHeight, minCellWidth = 0, gap = 0, create, render, overscan = 4 }) {
    Object.assign(this, { host, scroller, count, rowHeight, minCellWidth, gap, create, render, overscan });
    this.pool = new Map(); // index → element
    host.classList.add('vlist');
    this.onScroll = () => this.#schedule();
    scroller.addEventListener('scroll', this.onScroll, { passive: true });
    // A resize moves rows (and may change the column count) but never changes their content.
    this.resize = new ResizeObserver(() => this.#schedule(true));
    this.resize.observe(host);
    this.#layout();
    this.update();
  }
  get columns() {
    if (!this.minCellWidth) return 1;
    return Math.max(1, Math.floor((this.host.clientWidth + this.gap) / (this.minCellWidth + this.gap)));
  }
  setCount(count) { this.count = count; this.#layout(); this.update(true); }
  /** Re-render visible items (after data arrived). */
  refresh() { this.update(true); }
  scrollToIndex(i) {
    const row = Math.floor(i / this.columns);
    const top = this.host.getBoundingClientRect().top - this.scroller.getBoundingClientRect().top + this.scroller.scrollTop;
    this.scroller.scrollTop = top + row * (this.rowHeight + this.gap);
  }
  destroy() {
    this.scroller.removeEventListener('scroll', this.onScroll);
    this.resize.disconnect();
  }
  #schedule(relayout = false) {
    this.relayout ||= relayout;
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => { this.frame = 0; if (this.relayout) this.#layout(); this.relayout = false; this.update(); });
  }
  #layout() {
    const rows = Math.ceil(this.count / this.columns);
    this.host.style.height = `${Math.max(0, rows * (this.rowHeight + this.gap) - this.gap)}px`;
  }
  update(force = false) {
    if (!this.host.isConnected) return;
    const columns = this.columns;
    const stride = this.rowHeight + this.gap;
    const hostTop = this.host.getBoundingClientRect().top - this.scroller.getBoundingClientRect().top;
    const viewTop = -hostTop, viewBottom = viewTop + this.scroller.clientHeight;
    const firstRow = Math.max(0, Math.floor(viewTop / stride) - this.overscan);
    const lastRow = Math.min(Math.ceil(this.count / columns) - 1, Math.ceil(viewBottom / stride) + this.overscan);
    const first = firstRow * columns, last = Math.min(this.count - 1, (lastRow + 1) * columns - 1);
    const width = columns > 1 ? (this.host.clientWidth - this.gap * (columns - 1)) / columns : null;
    const spare = [];
    for (const [i, el] of this.pool) if (i < first || i > last) { spare.push(el); this.pool.delete(i); }
    for (let i = first; i <= last; i++) {
      let el = this.pool.get(i);
      const fresh = !el;
      if (fresh) {
        el = spare.pop() ?? this.host.appendChild(this.create());
        this.pool.set(i, el);
      }
      const row = Math.floor(i / columns), col = i % columns;
      el.style.transform = `translate(${width ? col * (width + this.gap) : 0}px, ${row * stride}px)`;
      if (width) el.style.width = `${width}px`;
      el.style.height = `${this.rowHeight}px`;
      if (fresh || force || el.dataset.index !== String(i)) {
        el.dataset.index = String(i);
        el.hidden = false;
        this.render(el, i);
      }
    }
    for (const el of spare) { el.hidden = true; delete el.dataset.index; }
  }
}
