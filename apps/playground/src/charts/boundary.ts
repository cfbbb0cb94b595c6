import type { RunHistory } from '../history.js';

const CLASS_COLOURS: readonly (readonly [number, number, number])[] = [[31, 119, 180], [255, 127, 14]];

/**
 * Paints the model's class-1 probability over the plane (blue → orange, paler where unsure) and
 * the training points on top.
 */
export function drawBoundary(canvas: HTMLCanvasElement, history: RunHistory): void {
  const context = canvas.getContext('2d');
  const boundary = history.boundary;
  if (!context) return;
  context.fillStyle = 'white';
  context.fillRect(0, 0, canvas.width, canvas.height);
  if (!boundary) return;
  const { size, probabilities, extent, points, labels } = boundary;
  const image = context.createImageData(size, size);
  for (let i = 0; i < size * size; i++) {
    const p = probabilities[i];
    const [r, g, b] = CLASS_COLOURS[p >= 0.5 ? 1 : 0];
    const strength = 0.25 + 0.5 * Math.abs(p - 0.5);
    image.data.set([255 - strength * (255 - r), 255 - strength * (255 - g), 255 - strength * (255 - b), 255], 4 * i);
  }
  // Upscale the small probability image smoothly onto the canvas.
  const tile = document.createElement('canvas');
  tile.width = size;
  tile.height = size;
  tile.getContext('2d')?.putImageData(image, 0, 0);
  context.imageSmoothingEnabled = true;
  context.drawImage(tile, 0, 0, canvas.width, canvas.height);
  const [x0, x1, y0, y1] = extent;
  for (let i = 0; i < labels.length; i++) {
    const [r, g, b] = CLASS_COLOURS[labels[i]];
    const cx = ((points[2 * i] - x0) / (x1 - x0)) * canvas.width;
    const cy = ((y1 - points[2 * i + 1]) / (y1 - y0)) * canvas.height;
    context.beginPath();
    context.arc(cx, cy, 3, 0, 2 * Math.PI);
    context.fillStyle = `rgb(${r}, ${g}, ${b})`;
    context.fill();
    context.strokeStyle = 'white';
    context.stroke();
  }
}
