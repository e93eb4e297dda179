// Live faces: sliders that move z, decoded in the browser by onnxruntime-web as the hand moves.
//
// Every view it serves is z = base + sum_k value_k * direction_k (Sample, Attributes, Compare),
// or a point at t along a straight or spherical path (Interpolate). The server sends those arrays
// (float64, as JSON) and each decoder's URL once; while a slider moves, this page computes z,
// decodes it in a worker, sharpens exactly as PIL does and paints one canvas. Only the latest
// value waits while a decode runs, so frames never queue. The server hears the resting values
// alone: at the release, or 300 ms after the last key press.
//
// On a map (Projections) the two values are the cursor's map coordinates over the page's Plotly
// chart: z is affine in them on a PCA or latent-axes plane, and bilinear between the nodes of the
// map's decodable grid (model.analysis.map_grid) on a t-SNE or UMAP map. The server hears where
// the cursor rests, 400 ms after it stops.

const REPORT_AFTER_MS = 300;
const REST_MS = 400;
const views = new WeakMap();
const runtimes = new Map(); // one onnxruntime-web per backend and page
const downloads = new Map(); // URL -> Promise<ArrayBuffer>: decoders and grids
const sessions = new Map(); // backend and decoder URL -> Promise<InferenceSession>

export default function (component) {
  const { data, parentElement, setStateValue } = component;
  let view = views.get(parentElement);
  if (view === undefined) {
    view = new LiveFaces(parentElement, setStateValue);
    views.set(parentElement, view);
  }
  view.update(data);
}

class LiveFaces {
  constructor(parent, setStateValue) {
    this.setStateValue = setStateValue;
    this.root = document.createElement("div");
    this.root.className = "live-faces";
    this.controls = document.createElement("div");
    this.controls.className = "controls";
    this.canvas = document.createElement("canvas");
    this.status = document.createElement("div");
    this.status.className = "status";
    this.root.append(this.controls, this.canvas, this.status);
    parent.appendChild(this.root);
    this.context = this.canvas.getContext("2d", { willReadFrequently: true });
    this.inputs = [];
    this.values = [];
    this.reported = null;
    this.sent = new Set(); // every resting value reported, as JSON
    this.busy = false;
    this.pending = false;
    this.paints = 0;
    this.reportTimer = null;
    this.following = false; // listening to the cursor over a map
  }

  update(data) {
    const identity = JSON.stringify({ ...data, values: undefined });
    const values = JSON.stringify(data.values);
    const rebuild = identity !== this.identity;
    // The same view: the server's values are news only when this page never sent them (a share
    // link, a reset). The echo of an older resting value must not move the slider under the hand.
    if (!rebuild && (values === JSON.stringify(this.values) || this.sent.has(values))) return;
    if (rebuild) this.sent = new Set();
    this.identity = identity;
    this.data = data;
    this.values = [...data.values];
    this.reported = [...data.values];
    if (rebuild) this.buildControls();
    if (rebuild && data.map) this.followCursor();
    if (data.map) this.showCursor(this.values);
    this.inputs.forEach((input, k) => {
      input.value = String(this.values[k]);
      this.showValue(k);
    });
    this.ready = this.prepare(data).catch((error) => this.fail(error));
    this.ready.then(() => this.request());
  }

  buildControls() {
    this.controls.replaceChildren();
    this.inputs = this.data.sliders.map((slider, k) => {
      const label = document.createElement("label");
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = slider.label;
      const shown = document.createElement("span");
      shown.className = "value";
      const input = document.createElement("input");
      Object.assign(input, { type: "range", min: slider.min, max: slider.max, step: slider.step });
      input.setAttribute("aria-label", slider.label);
      input.addEventListener("input", () => {
        this.values[k] = Number(input.value);
        this.showValue(k);
        this.request();
      });
      // A mouse or touch release reports at once; a key press after a short pause.
      input.addEventListener("pointerup", () => this.scheduleReport(0));
      input.addEventListener("change", () => this.scheduleReport(REPORT_AFTER_MS));
      label.append(name, shown, input);
      this.controls.append(label);
      return input;
    });
  }

  // The cursor over the map's plot area moves the two values; one listener per view, on the
  // document, so a chart that Streamlit redraws keeps it.
  followCursor() {
    if (!this.following) {
      const listener = (event) => {
        if (this.root.isConnected) this.onPointer(event);
        else document.removeEventListener("pointermove", listener); // a view left behind
      };
      document.addEventListener("pointermove", listener, { passive: true });
      this.following = true;
    }
    this.readout = this.readout ?? document.createElement("div");
    this.readout.className = "readout";
    this.root.insertBefore(this.readout, this.status);
  }

  onPointer(event) {
    if (this.data?.map === undefined || this.decoders === undefined) return;
    const plot = this.plotArea();
    if (plot === null) return;
    const { rect, x: xRange, y: yRange } = plot;
    const u = (event.clientX - rect.left) / rect.width;
    const v = (event.clientY - rect.top) / rect.height;
    if (u < 0 || u > 1 || v < 0 || v > 1) return;
    this.values = [xRange[0] + u * (xRange[1] - xRange[0]), yRange[1] - v * (yRange[1] - yRange[0])];
    this.request();
    this.scheduleReport(REST_MS);
  }

  // The chart's plot area on screen and its axis ranges now (after any zoom or pan).
  plotArea() {
    const chart = document.querySelector(`${this.data.map.chart} .js-plotly-plot`);
    const drag = chart?.querySelector(".nsewdrag");
    const layout = chart?._fullLayout;
    if (!drag || !layout?.xaxis?.range || !layout?.yaxis?.range) return null;
    const rect = drag.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0) return null;
    return { chart, rect, x: layout.xaxis.range.map(Number), y: layout.yaxis.range.map(Number) };
  }

  // A ring on the chart where the face shown was decoded, and the cursor's coordinates.
  showCursor(values) {
    const [x, y] = values;
    const void_ = this.isVoid(x, y);
    const grid = this.data.map.kind === "grid";
    this.readout.textContent = `x = ${x.toFixed(3)}, y = ${y.toFixed(3)}` +
      (grid ? (void_ ? " · void: no data point near" : " · near data") : "");
    this.root.dataset.void = String(void_);
    const plot = this.plotArea();
    if (plot === null) return;
    const holder = plot.chart.parentElement;
    let marker = holder.querySelector(":scope > .zspace-cursor");
    if (marker === null) {
      marker = document.createElement("div");
      marker.className = "zspace-cursor";
      Object.assign(marker.style, {
        position: "absolute", width: "14px", height: "14px", margin: "-7px 0 0 -7px",
        border: "2px solid #e4572e", borderRadius: "50%", pointerEvents: "none", zIndex: 10,
        boxShadow: "0 0 0 1px white",
      });
      if (getComputedStyle(holder).position === "static") holder.style.position = "relative";
      holder.append(marker);
    }
    const box = holder.getBoundingClientRect();
    const u = (x - plot.x[0]) / (plot.x[1] - plot.x[0]);
    const v = (plot.y[1] - y) / (plot.y[1] - plot.y[0]);
    const inside = u >= 0 && u <= 1 && v >= 0 && v <= 1;
    marker.style.display = inside ? "block" : "none";
    marker.style.left = `${plot.rect.left - box.left + u * plot.rect.width}px`;
    marker.style.top = `${plot.rect.top - box.top + v * plot.rect.height}px`;
  }

  isVoid(x, y) {
    const grid = this.data.map.grid;
    if (grid === undefined) return false;
    const [fx, fy] = gridFractions(grid, x, y);
    const last = grid.size - 1;
    if (fx < 0 || fx > last || fy < 0 || fy > last) return true;
    return grid.void[Math.floor(fy + 0.5) * grid.size + Math.floor(fx + 0.5)] === "1";
  }

  showValue(k) {
    const shown = this.controls.children[k].querySelector(".value");
    shown.textContent = formatValue(this.values[k], this.data.sliders[k].step);
  }

  scheduleReport(delay) {
    clearTimeout(this.reportTimer);
    this.reportTimer = setTimeout(() => {
      if (JSON.stringify(this.values) === JSON.stringify(this.reported)) return;
      this.reported = [...this.values];
      this.sent.add(JSON.stringify(this.values));
      this.setStateValue("values", [...this.values]);
    }, delay);
  }

  async prepare(data) {
    performance.mark("live-faces:mounted");
    const models = data.decoders.map((decoder) => fetchOnce(decoder.url)); // while the runtime loads
    // A map's grid of z: float32 little-endian, as the server sends it.
    const grid = data.map?.grid ? fetchOnce(data.map.grid.url).then((b) => new Float32Array(b)) : null;
    const runtime = await loadRuntime(data.runtime);
    performance.mark("live-faces:runtime");
    this.backend = runtime.backend;
    this.decoders = await Promise.all(
      data.decoders.map(async (decoder, k) => ({
        ...decoder,
        base: Float64Array.from(decoder.base),
        directions: decoder.directions.map((d) => Float64Array.from(d)),
        session: await session(runtime, decoder.url, models[k]),
      })),
    );
    performance.mark("live-faces:sessions");
    this.grid = grid === null ? null : { ...data.map.grid, z: await grid };
    const { columns, padding, image_size: size, faces } = data;
    const rows = Math.ceil(faces / Math.min(columns, faces));
    this.layout = { columns: Math.min(columns, faces), rows, size, padding };
    this.canvas.width = this.layout.columns * (size + padding) + padding;
    this.canvas.height = data.decoders.length * (rows * (size + padding)) + padding;
    this.canvas.style.maxWidth = data.display_width ? `${data.display_width}px` : "";
    this.image = this.context.createImageData(this.canvas.width, this.canvas.height);
    this.scratch = undefined; // sized for one image size
    this.status.textContent = `decoded in this browser (onnxruntime-web, ${runtime.label})`;
    this.root.dataset.backend = runtime.backend;
  }

  // Decode the current values now, or as soon as the decode in flight is done. The next decode
  // starts as soon as the worker is free, so it runs while this page sharpens and paints the
  // last one; only the latest value ever waits.
  request() {
    if (this.decoders === undefined) return;
    if (this.busy) {
      this.pending = true;
      return;
    }
    this.busy = true;
    const values = [...this.values];
    this.decode(values)
      .then((decoded) => {
        this.busy = false;
        if (this.pending) {
          this.pending = false;
          this.request();
        }
        this.paint(values, decoded);
      })
      .catch((error) => {
        this.busy = false;
        this.fail(error);
      });
  }

  async decode(values) {
    const { ort } = runtimes.get(this.backend);
    const { faces, z_dim: dims } = this.data;
    const start = performance.now();
    const decoded = [];
    for (const decoder of this.decoders) {
      const z = this.grid ? gridLatents(this.grid, values[0], values[1], dims)
        : latents(this.data, decoder, values, faces, dims);
      const tensor = new ort.Tensor("float32", z, [faces, dims]);
      const output = await decoder.session.run({ [decoder.session.inputNames[0]]: tensor });
      decoded.push(output[decoder.session.outputNames[0]].data);
    }
    performance.measure("live-faces:decode", { start });
    return decoded;
  }

  paint(values, decoded) {
    const { faces, image_size: size } = this.data;
    const start = performance.now();
    const image = this.image;
    image.data.fill(255);
    const n = size * size * 3;
    const scratch = (this.scratch ??= {
      rgb: new Uint8ClampedArray(n), smooth: new Uint8Array(n), rows: new Float32Array(n),
    });
    decoded.forEach((pixels, block) => {
      for (let face = 0; face < faces; face += 1) {
        let rgb = toUint8Into(pixels.subarray(face * n, (face + 1) * n), scratch.rgb);
        if (this.data.sharpen && this.data.sharpness !== 1) {
          rgb = sharpenInto(rgb, size, size, this.data.sharpness, scratch.smooth, scratch.rows);
        }
        this.blit(image, rgb, block, face);
      }
    });
    this.context.putImageData(image, 0, 0); // the whole grid at once: never half drawn
    performance.measure("live-faces:paint", { start });
    this.paints += 1;
    if (this.paints === 1) performance.mark("live-faces:first-paint");
    if (this.data.map) this.showCursor(values);
    const painted = String(this.paints);
    requestAnimationFrame(() => { // stamped when the frame with the new faces is drawn
      Object.assign(this.root.dataset, {
        paints: painted,
        paintedAt: String(performance.now()),
        values: JSON.stringify(values),
      });
    });
  }

  blit(image, rgb, block, face) {
    const { columns, rows, size, padding } = this.layout;
    const top = block * rows * (size + padding) + padding + Math.floor(face / columns) * (size + padding);
    const left = padding + (face % columns) * (size + padding);
    const pixels = image.data;
    for (let y = 0; y < size; y += 1) {
      let to = ((top + y) * image.width + left) * 4;
      for (let from = y * size * 3, end = from + size * 3; from < end; from += 3, to += 4) {
        pixels[to] = rgb[from];
        pixels[to + 1] = rgb[from + 1];
        pixels[to + 2] = rgb[from + 2];
      }
    }
  }

  fail(error) {
    this.status.textContent = `could not decode in this browser: ${error.message || error}; ` +
      "switch off 'Decode in the browser' to decode on the server";
    this.root.dataset.error = String(error.message || error);
  }
}

// z for every face, as float32: base + sum_k v_k * direction_k, or a point along a path.
function latents(data, decoder, values, faces, dims) {
  const z = new Float32Array(faces * dims);
  if (data.path !== null) {
    const point = pathPoint(decoder.base, decoder.directions[0], values[0], data.path);
    for (let i = 0; i < z.length; i += 1) z[i] = point[i % dims];
    return z;
  }
  for (let i = 0; i < z.length; i += 1) {
    let value = decoder.base[i];
    decoder.directions.forEach((direction, k) => {
      value += values[k] * direction[i];
    });
    z[i] = value;
  }
  return z;
}

// model.generation.interpolate at one t: linear, or spherical (slerp of the direction, the
// radius moving linearly), in float64 as numpy computes it.
function pathPoint(start, end, t, kind) {
  const mix = (a, b) => Float64Array.from(a, (value, i) => (1 - t) * value + t * b[i]);
  if (kind === "linear") return mix(start, end);
  const norm = (v) => Math.sqrt(v.reduce((sum, x) => sum + x * x, 0));
  const ra = norm(start), rb = norm(end);
  if (ra === 0 || rb === 0) return mix(start, end);
  const ua = start.map((x) => x / ra), ub = end.map((x) => x / rb);
  const cos = Math.min(1, Math.max(-1, ua.reduce((sum, x, i) => sum + x * ub[i], 0)));
  const omega = Math.acos(cos);
  const radius = (1 - t) * ra + t * rb;
  if (omega < 1e-6) return mix(ua, ub).map((x) => x * radius);
  const s = Math.sin(omega);
  return ua.map((x, i) => ((Math.sin((1 - t) * omega) * x + Math.sin(t * omega) * ub[i]) / s) * radius);
}

// model.analysis.map_grid.grid_latents: z bilinear between the four nodes around (x, y), in
// float64 and in its order; outside the grid, the border's.
function gridLatents(grid, x, y, dims) {
  const last = grid.size - 1;
  const [fx, fy] = gridFractions(grid, x, y).map((value) => Math.min(Math.max(value, 0), last));
  const c0 = Math.min(Math.trunc(fx), last - 1), r0 = Math.min(Math.trunc(fy), last - 1);
  const a = fx - c0, b = fy - r0;
  const node = (r, c) => (r * grid.size + c) * dims;
  const [n00, n01, n10, n11] = [node(r0, c0), node(r0, c0 + 1), node(r0 + 1, c0), node(r0 + 1, c0 + 1)];
  const z = new Float32Array(dims), g = grid.z;
  for (let i = 0; i < dims; i += 1) {
    let value = (1 - a) * (1 - b) * g[n00 + i];
    value += a * (1 - b) * g[n01 + i];
    value += (1 - a) * b * g[n10 + i];
    value += a * b * g[n11 + i];
    z[i] = value;
  }
  return z;
}

function gridFractions(grid, x, y) {
  const [x0, x1, y0, y1] = grid.extent;
  return [((x - x0) / (x1 - x0)) * (grid.size - 1), ((y - y0) / (y1 - y0)) * (grid.size - 1)];
}

const f = Math.fround;
// f(v * 1/13) and f(v * 5/13) for every uint8 v: the products of PIL's SMOOTH kernel, in float32.
const EDGE = Float32Array.from({ length: 256 }, (_, v) => f(v * f(1 / 13)));
const CENTRE = Float32Array.from({ length: 256 }, (_, v) => f(v * f(5 / 13)));
const HALF = f(0.5);
const blends = new Map(); // factor -> Uint8Array(65536): PIL's blend of (smoothed, original)

// model.generation.to_uint8: rint(x * 255) in float32, clipped. A Uint8ClampedArray store clamps
// and rounds half to even, as numpy's rint does.
export function toUint8(values) {
  return toUint8Into(values, new Uint8ClampedArray(values.length));
}

function toUint8Into(values, out) {
  for (let i = 0; i < values.length; i += 1) out[i] = f(values[i] * 255);
  return out;
}

// PIL's ImageEnhance.Sharpness(image).enhance(factor), bit for bit: the SMOOTH filter (3x3,
// (1 1 1 / 1 5 1 / 1 1 1) / 13 in float32, rounded, border copied), then Image.blend of the
// smoothed and the original image by `factor`, in float32, truncated and clipped.
export function sharpen(rgb, width, height, factor) {
  if (factor === 1) return rgb;
  const n = rgb.length;
  return sharpenInto(rgb, width, height, factor, new Uint8Array(n), new Float32Array(n));
}

function sharpenInto(rgb, width, height, factor, smooth, rows) {
  smooth.set(rgb);
  const line = width * 3;
  // Each value's row of three with the edge weights, once: the rows above and below reuse it.
  for (let i = 3; i < rgb.length - 3; i += 1) {
    rows[i] = f(f(EDGE[rgb[i - 3]] + EDGE[rgb[i]]) + EDGE[rgb[i + 3]]);
  }
  for (let y = 1; y < height - 1; y += 1) {
    for (let i = y * line + 3, end = (y + 1) * line - 3; i < end; i += 1) {
      let sum = f(HALF + rows[i + line]); // PIL's order: the row below, this row, the row above
      sum = f(sum + f(f(EDGE[rgb[i - 3]] + CENTRE[rgb[i]]) + EDGE[rgb[i + 3]]));
      sum = f(sum + rows[i - line]);
      smooth[i] = sum >= 255 ? 255 : sum; // a Uint8Array store truncates
    }
  }
  if (factor === 0) return smooth;
  const table = blendTable(factor);
  for (let i = 0; i < rgb.length; i += 1) smooth[i] = table[(smooth[i] << 8) | rgb[i]];
  return smooth;
}

function blendTable(factor) {
  if (!blends.has(factor)) {
    const alpha = f(factor);
    const table = new Uint8Array(65536);
    for (let smoothed = 0; smoothed < 256; smoothed += 1) {
      for (let value = 0; value < 256; value += 1) {
        const blended = f(smoothed + f(alpha * (value - smoothed)));
        table[(smoothed << 8) | value] = blended <= 0 ? 0 : blended >= 255 ? 255 : blended;
      }
    }
    blends.set(factor, table);
  }
  return blends.get(factor);
}

function formatValue(value, step) {
  const decimals = Math.max(0, (String(step).split(".")[1] || "").length);
  return value.toFixed(decimals);
}

// WebGPU when the browser has an adapter, else WebAssembly (SIMD, in a worker, on up to four
// threads when the page is cross-origin isolated).
async function loadRuntime(urls) {
  let backend = "wasm";
  if (navigator.gpu !== undefined) {
    try {
      if ((await navigator.gpu.requestAdapter()) !== null) backend = "webgpu";
    } catch (error) {
      backend = "wasm";
    }
  }
  performance.mark("live-faces:backend");
  if (!runtimes.has(backend)) {
    const spec = urls[backend];
    const ort = await import(new URL(spec.module, document.baseURI).href);
    ort.env.wasm.wasmPaths = new URL(`${spec.folder}/`, document.baseURI).href;
    // Threads need SharedArrayBuffer, granted to a cross-origin isolated page (app.isolation).
    const cores = navigator.hardwareConcurrency || 1;
    ort.env.wasm.numThreads = self.crossOriginIsolated ? Math.min(4, cores) : 1;
    ort.env.wasm.proxy = backend === "wasm";
    const threads = ort.env.wasm.numThreads;
    const label = backend === "webgpu" ? "WebGPU" : `WebAssembly, ${threads} thread${threads > 1 ? "s" : ""}`;
    runtimes.set(backend, { ort, backend, label });
  }
  return runtimes.get(backend);
}

// A file's bytes, fetched once per page (a decoder or a grid: immutable under its URL).
function fetchOnce(url) {
  if (!downloads.has(url)) {
    downloads.set(url, fetch(new URL(url, document.baseURI).href).then((response) => {
      if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
      return response.arrayBuffer();
    }));
  }
  return downloads.get(url);
}

function session(runtime, url, model) {
  const key = `${runtime.backend} ${url}`;
  if (!sessions.has(key)) {
    sessions.set(key, model.then((bytes) => runtime.ort.InferenceSession.create(
      new Uint8Array(bytes).slice(), { executionProviders: [runtime.backend] }))); // a copy: the worker takes its bytes
  }
  return sessions.get(key);
}
