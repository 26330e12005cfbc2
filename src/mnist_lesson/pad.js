// The drawing pad of mnist_lesson.pad: one ES module, no build step, two hosts.
// In JupyterLab, anywidget calls the default export's render(); Python converts and reads the drawing.
// The website's "Try it" page imports createPad, toMnistStyle and renderAnswer and runs the networks itself.

/** The pad's square in canvas pixels (the coordinates strokes are in), and the pen's width there. */
export const SIZE = 280;
export const PEN_WIDTH = 18;

const STYLE = `
.mnist-pad { font: 14px/1.4 system-ui, sans-serif; color: #111; }
.mnist-pad .pad-row { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.mnist-pad .pad-canvas { width: ${SIZE}px; height: ${SIZE}px; touch-action: none; background: #000;
  cursor: crosshair; border: 1px solid #555; display: block; }
.mnist-pad .pad-image28 { width: 140px; height: 140px; image-rendering: pixelated; background: #000;
  border: 1px solid #555; display: block; }
.mnist-pad figure { margin: 0; }
.mnist-pad .pad-controls { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 8px; align-items: center;
  max-width: ${SIZE + 2}px; }
.mnist-pad button, .mnist-pad select, .mnist-pad input[type=file] { font: inherit; }
.mnist-pad button, .mnist-pad select { padding: 4px 10px; }
.mnist-pad :focus-visible { outline: 3px solid #1a5fb4; outline-offset: 2px; }
.mnist-pad .pad-message { color: #a40000; max-width: ${SIZE + 2}px; min-height: 1.4em; margin: 4px 0 0; }
.mnist-pad .pad-network h4 { margin: 0 0 4px; font-size: 14px; }
.mnist-pad .pad-answer { font-size: 24px; font-weight: bold; margin: 0 0 6px; min-height: 1.4em; }
.mnist-pad .pad-bars { list-style: none; margin: 0; padding: 0; }
.mnist-pad .pad-bars li { display: flex; align-items: center; gap: 6px; height: 18px; }
.mnist-pad .pad-digit { width: 1em; text-align: right; }
.mnist-pad .pad-track { width: 120px; height: 12px; background: #e6e6e6; }
.mnist-pad .pad-bar { height: 100%; background: #1a5fb4; }
.mnist-pad .pad-percent { width: 3.5em; font-variant-numeric: tabular-nums; }
`;

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") node.textContent = value;
    else node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

/** A probability as the pad writes it: rounded percent, then " %" (as Python's answer_text). */
function percent(p) {
  // Python's format rounds halves to even (12.5 % -> "12 %"), Math.round up: rint writes what Python does.
  return `${rint(p * 100)} %`;
}

/** The answer's text, beginning with the digit: "4 (97 %)". */
export function answerText(probabilities) {
  let best = 0;
  for (let d = 1; d < probabilities.length; d++) if (probabilities[d] > probabilities[best]) best = d;
  return `${best} (${percent(probabilities[best])})`;
}

/**
 * Show each network's answer: a status line that begins with the digit ("4 (97 %)") and ten bars, each with its
 * probability as text. results = [{name, probabilities}]; [] blanks the answers shown. Updated in place, so a
 * screen reader hears each new answer from the same live region.
 */
export function renderAnswer(container, results) {
  const sections = [...container.querySelectorAll(":scope > .pad-network")];
  if (results.length && results.length !== sections.length) {
    container.replaceChildren();
    sections.length = 0;
    results.forEach(({ name }, index) => {
      const id = `pad-${Math.random().toString(36).slice(2)}-${index}`;
      const bars = element("ul", { class: "pad-bars", "aria-label": `Probabilities of each digit, ${name}` });
      for (let digit = 0; digit < 10; digit++) {
        const bar = element("span", { class: "pad-bar", style: "width: 0%" });
        bars.append(
          element("li", {}, element("span", { class: "pad-digit", text: `${digit}` }),
            element("span", { class: "pad-track", "aria-hidden": "true" }, bar),
            element("span", { class: "pad-percent", text: "" })),
        );
      }
      const section = element("section", { class: "pad-network", "aria-labelledby": id },
        element("h4", { id, text: name }),
        element("p", { class: "pad-answer", role: "status", "aria-live": "polite", "aria-atomic": "true" }),
        bars);
      container.append(section);
      sections.push(section);
    });
  }
  sections.forEach((section, index) => {
    const result = results[index];
    if (result) section.querySelector("h4").textContent = result.name;
    section.querySelector(".pad-answer").textContent = result ? answerText(result.probabilities) : "";
    section.querySelectorAll(".pad-bars li").forEach((row, digit) => {
      const p = result ? result.probabilities[digit] : 0;
      row.querySelector(".pad-bar").style.width = `${(100 * p).toFixed(1)}%`;
      row.querySelector(".pad-percent").textContent = result ? percent(p) : "";
    });
  });
}

// ---------------------------------------------------------------- toMnistStyle: handwriting.to_mnist_style in JS

function lanczos(x) {
  const sinc = (t) => (t === 0 ? 1 : Math.sin(Math.PI * t) / (Math.PI * t));
  return x > -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0;
}

/** One axis of Pillow's Lanczos resize (its precompute_coeffs): for each output index, [first input, weights]. */
function coefficients(inSize, outSize) {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 3 * filterScale;
  const result = [];
  for (let xx = 0; xx < outSize; xx++) {
    const centre = (xx + 0.5) * scale;
    const first = Math.max(Math.trunc(centre - support + 0.5), 0);
    const last = Math.min(Math.trunc(centre + support + 0.5), inSize);
    const weights = [];
    let total = 0;
    for (let x = first; x < last; x++) {
      const w = lanczos((x - centre + 0.5) / filterScale);
      weights.push(w);
      total += w;
    }
    result.push([first, weights.map((w) => (total ? w / total : 0))]);
  }
  return result;
}

/** Resize a float image (rows × cols) to outRows × outCols as Pillow does for mode "F": rows first, then columns. */
function resizeLanczos(image, rows, cols, outRows, outCols) {
  const across = coefficients(cols, outCols);
  const wide = new Float64Array(rows * outCols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < outCols; c++) {
      const [first, weights] = across[c];
      let sum = 0;
      for (let k = 0; k < weights.length; k++) sum += image[r * cols + first + k] * weights[k];
      wide[r * outCols + c] = sum;
    }
  }
  const down = coefficients(rows, outRows);
  const out = new Float64Array(outRows * outCols);
  for (let r = 0; r < outRows; r++) {
    const [first, weights] = down[r];
    for (let c = 0; c < outCols; c++) {
      let sum = 0;
      for (let k = 0; k < weights.length; k++) sum += wide[(first + k) * outCols + c] * weights[k];
      out[r * outCols + c] = sum;
    }
  }
  return out;
}

/** NumPy's rint: halves go to the even neighbour. */
function rint(x) {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : r;
}

/**
 * The MNIST-style 28×28 image (Uint8Array of 784, row-major) of a light-on-dark digit: pixels are width × height
 * numbers, row-major. Port of mnist_lesson.handwriting.to_mnist_style: crop to the ink (> 0.05 of the largest),
 * fit the longer side to 20 pixels (Lanczos, as Pillow), paste centred in 28×28, then shift so the centre of mass
 * lies at (13.5, 13.5) with bilinear interpolation. Throws an Error for a blank image.
 */
export function toMnistStyle(pixels, width, height) {
  if (!pixels || pixels.length !== width * height || width < 1 || height < 1) {
    throw new Error(`expected ${width} × ${height} pixels, got ${pixels ? pixels.length : pixels}`);
  }
  let low = Infinity;
  let high = -Infinity;
  for (const v of pixels) {
    if (!Number.isFinite(v)) throw new Error("the image holds NaN or infinite values");
    low = Math.min(low, v);
    high = Math.max(high, v);
  }
  if (high === low) throw new Error("the image is blank: there is no digit to read");
  let top = height;
  let bottom = -1;
  let left = width;
  let right = -1;
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      if ((pixels[r * width + c] - low) / (high - low) > 0.05) {
        top = Math.min(top, r);
        bottom = Math.max(bottom, r);
        left = Math.min(left, c);
        right = Math.max(right, c);
      }
    }
  }
  const rows = bottom - top + 1;
  const cols = right - left + 1;
  const ink = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      ink[r * cols + c] = (pixels[(top + r) * width + left + c] - low) / (high - low);
    }
  }
  const scale = 20 / Math.max(rows, cols);
  const outCols = Math.max(1, rint(cols * scale));
  const outRows = Math.max(1, rint(rows * scale));
  const boxed = resizeLanczos(ink, rows, cols, outRows, outCols);

  const canvas = new Float64Array(784);
  const top28 = Math.floor((28 - outRows) / 2);
  const left28 = Math.floor((28 - outCols) / 2);
  let mass = 0;
  let rowMass = 0;
  let colMass = 0;
  for (let r = 0; r < outRows; r++) {
    for (let c = 0; c < outCols; c++) {
      const v = Math.min(Math.max(boxed[r * outCols + c], 0), 1);
      canvas[(top28 + r) * 28 + left28 + c] = v;
      mass += v;
      rowMass += v * (top28 + r);
      colMass += v * (left28 + c);
    }
  }
  // scipy.ndimage.shift(order=1, mode="constant"): each output pixel reads the input at (r - dr, c - dc).
  const dr = 13.5 - rowMass / mass;
  const dc = 13.5 - colMass / mass;
  const at = (r, c) => (r >= 0 && r < 28 && c >= 0 && c < 28 ? canvas[r * 28 + c] : 0);
  const out = new Uint8Array(784);
  for (let r = 0; r < 28; r++) {
    for (let c = 0; c < 28; c++) {
      const y = r - dr;
      const x = c - dc;
      if (y < 0 || y > 27 || x < 0 || x > 27) continue;
      const y0 = Math.floor(y);
      const x0 = Math.floor(x);
      const fy = y - y0;
      const fx = x - x0;
      const v = (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1))
        + fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
      out[r * 28 + c] = rint(Math.min(Math.max(v, 0), 1) * 255);
    }
  }
  return out;
}

// ---------------------------------------------------------------- the pad

/** Draw strokes ([[x, y], ...] lists in SIZE × SIZE) white on black, with a round pen, as pad.py renders them. */
function paint(context, strokes) {
  const scale = context.canvas.width / SIZE;
  context.setTransform(scale, 0, 0, scale, 0, 0);
  context.fillStyle = "#000";
  context.fillRect(0, 0, SIZE, SIZE);
  context.strokeStyle = context.fillStyle = "#fff";
  context.lineWidth = PEN_WIDTH;
  context.lineCap = context.lineJoin = "round";
  for (const stroke of strokes) {
    if (!stroke.length) continue;
    context.beginPath();
    if (stroke.length === 1) {
      context.arc(stroke[0][0], stroke[0][1], PEN_WIDTH / 2, 0, 2 * Math.PI);
      context.fill();
      continue;
    }
    context.moveTo(stroke[0][0], stroke[0][1]);
    for (const [x, y] of stroke.slice(1)) context.lineTo(x, y);
    context.stroke();
  }
}

/** The canvas's ink as SIZE × SIZE numbers 0..1 (its red channel: white ink on black). */
function inkOf(canvas) {
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  const pixels = new Float32Array(canvas.width * canvas.height);
  for (let i = 0; i < pixels.length; i++) pixels[i] = data[4 * i] / 255;
  return pixels;
}

/**
 * A picture file as light-on-dark grey 0..1 (at most 560 px a side), as read_digit_image turns it first. Unlike
 * read_digit_image it does not subtract uneven paper light (ink_only): a scan or a drawing app's image reads
 * well, a phone photo of paper may not. In JupyterLab the pad sends files to Python instead (onFile).
 */
async function filePixels(file) {
  const bitmap = await createImageBitmap(file);
  const shrink = Math.min(1, 560 / Math.max(bitmap.width, bitmap.height));
  const width = Math.max(1, Math.round(bitmap.width * shrink));
  const height = Math.max(1, Math.round(bitmap.height * shrink));
  const canvas = element("canvas", { width, height });
  const context = canvas.getContext("2d");
  context.fillStyle = "#fff"; // a transparent background is paper
  context.fillRect(0, 0, width, height);
  context.drawImage(bitmap, 0, 0, width, height);
  const data = context.getImageData(0, 0, width, height).data;
  const grey = new Float32Array(width * height);
  let mean = 0;
  for (let i = 0; i < grey.length; i++) {
    grey[i] = (0.299 * data[4 * i] + 0.587 * data[4 * i + 1] + 0.114 * data[4 * i + 2]) / 255;
    mean += grey[i] / grey.length;
  }
  const border = [];
  for (let c = 0; c < width; c++) border.push(grey[c], grey[(height - 1) * width + c]);
  for (let r = 0; r < height; r++) border.push(grey[r * width], grey[r * width + width - 1]);
  border.sort((a, b) => a - b);
  if (border[Math.floor(border.length / 2)] > mean) for (let i = 0; i < grey.length; i++) grey[i] = 1 - grey[i];
  return { pixels: grey, width, height };
}

/**
 * Build a pad in `root`: a canvas to draw on, Clear, a sample drawing to pick, an upload button, the 28×28 image
 * the networks see, and their answers. options (all optional): onStrokes(strokes) after each stroke;
 * onDrawing(pixels, width, height) after each stroke, sample or upload (ink 0..1, row-major); onClear();
 * onSample(name) instead of drawing the sample here; onFile(file) instead of reading the file here;
 * samples {name: strokes}; label (the canvas's accessible name); uploadLabel (what the upload button takes).
 */
export function createPad(root, options = {}) {
  if (!root.ownerDocument.getElementById("mnist-pad-style")) {
    root.ownerDocument.head.append(element("style", { id: "mnist-pad-style", text: STYLE }));
  }
  const ratio = Math.max(1, Math.round(globalThis.devicePixelRatio || 1));
  const canvas = element("canvas", {
    class: "pad-canvas", width: SIZE * ratio, height: SIZE * ratio, role: "img",
    "aria-label": options.label || "Drawing pad: draw one digit here with a mouse, pen or finger",
  });
  const context = canvas.getContext("2d");
  const clearButton = element("button", { type: "button", class: "pad-clear", text: "Clear" });
  const sampleSelect = element("select", { class: "pad-sample" },
    element("option", { value: "", text: "choose…" }));
  for (const name of Object.keys(options.samples || {})) {
    sampleSelect.append(element("option", { value: name, text: name }));
  }
  const upload = element("input", { type: "file", class: "pad-upload", accept: "image/*" });
  const message = element("p", { class: "pad-message", "aria-live": "polite" });
  const seen = element("canvas", { class: "pad-image28", width: 28, height: 28, role: "img",
    "aria-label": "What the network sees: the drawing as a 28 × 28 image" });
  const caption = element("figcaption", { text: "What the network sees (28 × 28)" });
  const answers = element("div", { class: "pad-answers" });
  const controls = element("div", { class: "pad-controls" }, clearButton,
    element("label", {}, "Sample drawing ", sampleSelect),
    element("label", {}, `${options.uploadLabel || "Upload a photo or scan"} `, upload));
  // data-lm-suppress-shortcuts: in JupyterLab, Enter on a focused control presses it, not "edit this cell".
  root.append(element("div", { class: "mnist-pad", "data-lm-suppress-shortcuts": "true" }, element("div", { class: "pad-row" },
    element("div", { class: "pad-draw" }, canvas, controls, message),
    element("figure", {}, seen, caption),
    answers)));

  let strokes = [];
  let current = null;
  paint(context, strokes);

  const point = (event) => {
    const box = canvas.getBoundingClientRect();
    const x = ((event.clientX - box.left) * SIZE) / box.width;
    const y = ((event.clientY - box.top) * SIZE) / box.height;
    return [Math.round(Math.min(Math.max(x, 0), SIZE) * 10) / 10, Math.round(Math.min(Math.max(y, 0), SIZE) * 10) / 10];
  };
  const drawn = () => {
    options.onStrokes?.(strokes.map((stroke) => stroke.slice()));
    options.onDrawing?.(inkOf(canvas), canvas.width, canvas.height);
  };
  canvas.addEventListener("pointerdown", (event) => {
    if (event.button !== 0 && event.pointerType === "mouse") return;
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    current = [point(event)];
    strokes.push(current);
    paint(context, strokes);
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!current) return;
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
    for (const each of events.length ? events : [event]) current.push(point(each));
    paint(context, strokes);
  });
  const finish = () => {
    if (!current) return;
    current = null;
    message.textContent = "";
    drawn();
  };
  canvas.addEventListener("pointerup", finish);
  canvas.addEventListener("pointercancel", finish);
  canvas.addEventListener("lostpointercapture", finish);

  const pad = {
    /** Empty the pad: no strokes, no image, no answers. */
    clear() {
      strokes = [];
      current = null;
      paint(context, strokes);
      pad.showImage28(null);
      renderAnswer(answers, []);
      message.textContent = "";
    },
    /** Replace the drawing with these strokes (as the host's state says), without calling back. */
    drawStrokes(next) {
      if (current) return; // a stroke under way wins; the host hears of it when it ends
      strokes = (next || []).map((stroke) => stroke.map(([x, y]) => [x, y]));
      paint(context, strokes);
    },
    strokes: () => strokes.map((stroke) => stroke.slice()),
    /** Show the 28×28 image the networks read (784 numbers 0..255), or nothing (null). */
    showImage28(pixels) {
      const seenContext = seen.getContext("2d");
      const image = seenContext.createImageData(28, 28);
      for (let i = 0; i < 784; i++) {
        const v = pixels && pixels.length === 784 ? pixels[i] : 0;
        image.data.set([v, v, v, 255], 4 * i);
      }
      seenContext.putImageData(image, 0, 0);
    },
    showResults: (results) => renderAnswer(answers, results || []),
    setMessage(text) {
      message.textContent = text || "";
    },
    setCaption(text) {
      caption.textContent = text || "What the network sees (28 × 28)";
    },
  };
  pad.showImage28(null);

  clearButton.addEventListener("click", () => {
    pad.clear();
    if (options.onClear) options.onClear();
    else options.onStrokes?.([]);
  });
  sampleSelect.addEventListener("change", () => {
    const name = sampleSelect.value;
    if (!name) return;
    message.textContent = "";
    if (options.onSample) options.onSample(name);
    else {
      pad.drawStrokes(options.samples[name]);
      drawn();
    }
  });
  upload.addEventListener("change", async () => {
    const file = upload.files && upload.files[0];
    upload.value = ""; // the same file can be chosen again
    if (!file) return;
    message.textContent = `Reading ${file.name} …`;
    try {
      if (options.onFile) {
        await options.onFile(file);
      } else {
        const { pixels, width, height } = await filePixels(file);
        strokes = [];
        paint(context, strokes);
        message.textContent = "";
        options.onDrawing?.(pixels, width, height);
      }
    } catch (error) {
      message.textContent = `Could not read ${file.name}: ${error.message || error}`;
    }
  });
  return pad;
}

// ---------------------------------------------------------------- the anywidget host (JupyterLab)

function bytesOf(value) {
  if (!value) return null;
  if (value instanceof DataView) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  return new Uint8Array(value.buffer || value);
}

export default {
  render({ model, el }) {
    const pad = createPad(el, {
      samples: model.get("samples"),
      onStrokes(strokes) {
        model.set("strokes", strokes);
        model.save_changes();
      },
      onClear: () => model.send({ type: "clear" }),
      onSample: (name) => model.send({ type: "sample", name }),
      async onFile(file) {
        const data = await file.arrayBuffer();
        model.send({ type: "upload", name: file.name }, undefined, [data]);
      },
    });
    const show = () => {
      pad.drawStrokes(model.get("strokes"));
      const image = bytesOf(model.get("image28"));
      pad.showImage28(image && image.length === 784 ? image : null);
      pad.showResults(model.get("results"));
      pad.setMessage(model.get("message"));
      const source = model.get("source");
      pad.setCaption(source.startsWith("file: ") ? `What the network sees (28 × 28), from ${source.slice(6)}` : "");
    };
    show();
    const events = ["strokes", "image28", "results", "message", "source"].map((name) => `change:${name}`);
    for (const event of events) model.on(event, show);
    return () => {
      for (const event of events) model.off(event, show);
    };
  },
};
