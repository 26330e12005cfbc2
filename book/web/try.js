// The website's "Try it" page: the course's drawing pad (pad.js, the same module lesson 02's widget uses) and
// lesson 05's two ONNX networks, run in the visitor's browser by onnxruntime-web. Every file is loaded from
// beside this one (try-it/ on the site), so the page works from any static host and asks nothing of the internet.
import * as ort from "./ort/ort.wasm.min.mjs";
import { createPad, toMnistStyle } from "./pad.js";

const here = (name) => new URL(name, import.meta.url).href;
/** The networks, as lesson 05 exports them: the file, the shape of one image, and how the page names it. */
const NETWORKS = {
  mlp: { file: "networks/mlp.onnx", shape: [1, 784], name: "Lesson 01's dense network" },
  convnet: { file: "networks/convnet.onnx", shape: [1, 28, 28, 1], name: "Lesson 03's convnet" },
};

// onnxruntime-web's WebAssembly files sit in try-it/ort/, never on a CDN. Several threads need a page served
// cross-origin isolated (COOP/COEP headers), which a plain static host does not do: one thread otherwise.
ort.env.wasm.wasmPaths = here("./ort/");
ort.env.wasm.numThreads = globalThis.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;

const root = document.getElementById("mnist-try");
const status = document.getElementById("mnist-try-loading");

async function load() {
  const sessions = {};
  for (const [key, network] of Object.entries(NETWORKS)) {
    sessions[key] = await ort.InferenceSession.create(here(network.file), { executionProviders: ["wasm"] });
  }
  return sessions;
}

const ready = load();

/** Both networks' probabilities for one image: 784 numbers from 0 (black) to 1 (white ink), row by row. */
async function predict(pixels) {
  if (!pixels || pixels.length !== 784) {
    throw new Error(`predict() takes 784 pixels (a 28 × 28 image, row by row), not ${pixels ? pixels.length : pixels}`);
  }
  const sessions = await ready;
  const input = Float32Array.from(pixels);
  const answers = {};
  for (const [key, network] of Object.entries(NETWORKS)) {
    const session = sessions[key];
    const outputs = await session.run({ [session.inputNames[0]]: new ort.Tensor("float32", input, network.shape) });
    answers[key] = Array.from(outputs[session.outputNames[0]].data);
  }
  return answers;
}

// The hook the course's browser test uses (tests/browser/test_book.py): await ready, then predict(pixels).
globalThis.mnistLesson = { ready: ready.then(() => true), predict, toMnistStyle };

async function start() {
  let samples = {};
  try {
    samples = await (await fetch(here("pad_samples.json"))).json();
  } catch {
    // The samples are a convenience; the pad works without them.
  }
  let drawing = 0;
  const pad = createPad(root, {
    samples,
    label: "Drawing pad: draw one digit here with a mouse, pen or finger",
    // The page reads files without the notebook's removal of uneven paper light (docs/try-it.md).
    uploadLabel: "Upload a scan or a drawing app's image",
    async onDrawing(ink, width, height) {
      const mine = ++drawing;
      let image;
      try {
        image = toMnistStyle(ink, width, height);
      } catch {
        pad.showImage28(null);
        pad.showResults([]);
        pad.setMessage("Nothing to read yet: draw a digit.");
        return;
      }
      pad.showImage28(image);
      const answers = await predict(Array.from(image, (value) => value / 255));
      // A later stroke may have finished first: show only the newest drawing's answers.
      if (mine !== drawing) return;
      pad.showResults(Object.entries(NETWORKS).map(([key, n]) => ({ name: n.name, probabilities: answers[key] })));
    },
    onClear() {
      drawing++;
    },
  });
  try {
    await ready;
    status.textContent = "";
  } catch (error) {
    status.textContent = `The networks could not be loaded: ${error.message || error}`;
  }
}

start();
