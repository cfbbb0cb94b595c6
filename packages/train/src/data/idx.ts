import { gunzipSync } from 'node:zlib';
import { DataError } from '../errors.js';

/** The element types an IDX file can hold (its third magic byte). */
export type IdxDtype = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

/** A parsed IDX file: its element type, its dimensions and its values (host byte order). */
export type IdxArray = {
  readonly dtype: IdxDtype;
  readonly shape: readonly number[];
  readonly data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
};

const TYPES: Record<number, { dtype: IdxDtype; bytes: number }> = {
  0x08: { dtype: 'uint8', bytes: 1 },
  0x09: { dtype: 'int8', bytes: 1 },
  0x0b: { dtype: 'int16', bytes: 2 },
  0x0c: { dtype: 'int32', bytes: 4 },
  0x0d: { dtype: 'float32', bytes: 4 },
  0x0e: { dtype: 'float64', bytes: 8 },
};

/**
 * True when `bytes` starts with the gzip magic number 1f 8b.
 *
 * @example
 * ```ts
 * import { gzipSync } from 'node:zlib';
 * import { isGzip } from '@deqts/train';
 * isGzip(gzipSync(new Uint8Array(4))); // true
 * ```
 */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Parses an IDX file (the MNIST format: two zero bytes, a type byte, a rank byte, the dimensions
 * as big-endian uint32, then the values big-endian). Gzipped input (`*.gz`) is inflated first.
 * Throws a {@link DataError} naming `name` on a bad magic number, an unknown type, zero or
 * implausible dimensions, or a data section shorter or longer than the dimensions say.
 *
 * @param bytes the file's contents.
 * @param name how to call the file in error messages. Default 'IDX file'.
 *
 * @example
 * ```ts
 * import { parseIdx } from '@deqts/train';
 * const bytes = Uint8Array.from([0, 0, 0x08, 1, 0, 0, 0, 3, 7, 8, 9]);
 * parseIdx(bytes); // { dtype: 'uint8', shape: [3], data: Uint8Array [7, 8, 9] }
 * ```
 */
export function parseIdx(bytes: Uint8Array, name = 'IDX file'): IdxArray {
  let buffer = bytes;
  if (isGzip(buffer)) {
    try {
      buffer = gunzipSync(buffer);
    } catch (error) {
      throw new DataError(`${name}: the gzip stream is corrupt or truncated (${(error as Error).message}). Re-download or re-extract the file.`);
    }
  }
  if (buffer.length < 4) throw new DataError(`${name}: only ${buffer.length} bytes; an IDX file starts with a 4-byte magic number`);
  if (buffer[0] !== 0 || buffer[1] !== 0) {
    const magic = Array.from(buffer.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new DataError(`${name}: bad magic number ${magic}; an IDX file starts with 00 00 <type> <rank>. Is this really an IDX file?`);
  }
  const type = TYPES[buffer[2]];
  if (!type) throw new DataError(`${name}: unknown IDX element type 0x${buffer[2].toString(16)} (expected 08, 09, 0b, 0c, 0d or 0e)`);
  const rank = buffer[3];
  if (rank === 0) throw new DataError(`${name}: the IDX header declares rank 0`);
  const headerBytes = 4 + 4 * rank;
  if (buffer.length < headerBytes) {
    throw new DataError(`${name}: truncated header: rank ${rank} needs ${headerBytes} bytes, the file has ${buffer.length}`);
  }
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const shape: number[] = [];
  let count = 1;
  for (let i = 0; i < rank; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    if (d === 0) throw new DataError(`${name}: dimension ${i} is 0 in the IDX header`);
    shape.push(d);
    count *= d;
  }
  const expected = count * type.bytes;
  const actual = buffer.length - headerBytes;
  if (actual < expected) {
    throw new DataError(
      `${name}: truncated: the header declares shape [${shape.join(', ')}] of ${type.dtype} (${expected} data bytes) but only ${actual} follow. Re-download the file.`,
    );
  }
  if (actual > expected) {
    throw new DataError(`${name}: ${actual - expected} unexpected bytes after the data of shape [${shape.join(', ')}]; the file is corrupt`);
  }
  return { dtype: type.dtype, shape, data: readValues(view, headerBytes, count, type.dtype) };
}

function readValues(view: DataView, offset: number, count: number, dtype: IdxDtype): IdxArray['data'] {
  switch (dtype) {
    case 'uint8':
      return new Uint8Array(view.buffer, view.byteOffset + offset, count).slice();
    case 'int8':
      return new Int8Array(view.buffer, view.byteOffset + offset, count).slice();
    case 'int16': {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(offset + 2 * i, false);
      return out;
    }
    case 'int32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(offset + 4 * i, false);
      return out;
    }
    case 'float32': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(offset + 4 * i, false);
      return out;
    }
    case 'float64': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(offset + 8 * i, false);
      return out;
    }
  }
}

/**
 * Encodes an array as an IDX file (big-endian), the inverse of {@link parseIdx}. Used by tests
 * and to export data sets.
 *
 * @example
 * ```ts
 * import { encodeIdx, parseIdx } from '@deqts/train';
 * const bytes = encodeIdx({ dtype: 'uint8', shape: [2, 2], data: Uint8Array.from([1, 2, 3, 4]) });
 * parseIdx(bytes).shape; // [2, 2]
 * ```
 */
export function encodeIdx(array: IdxArray): Uint8Array {
  const code = Number(Object.keys(TYPES).find((k) => TYPES[Number(k)].dtype === array.dtype));
  const { bytes } = TYPES[code];
  const header = 4 + 4 * array.shape.length;
  const out = new Uint8Array(header + array.data.length * bytes);
  const view = new DataView(out.buffer);
  out[2] = code;
  out[3] = array.shape.length;
  array.shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  for (let i = 0; i < array.data.length; i++) {
    const at = header + i * bytes;
    const v = array.data[i];
    if (array.dtype === 'uint8') view.setUint8(at, v);
    else if (array.dtype === 'int8') view.setInt8(at, v);
    else if (array.dtype === 'int16') view.setInt16(at, v, false);
    else if (array.dtype === 'int32') view.setInt32(at, v, false);
    else if (array.dtype === 'float32') view.setFloat32(at, v, false);
    else view.setFloat64(at, v, false);
  }
  return out;
}
