// Reading a picture the user chose into a grayscale grid: input/output, not CNN maths.
//
//   const {pixels, width, height} = await readPicture(file);   // pixels: height rows of width ints 0..255
//
// The browser decodes the file, scales it down to fit in 512 x 512 (the server's limit), paints it
// on white (for transparent PNGs) and takes the luma of each pixel (ITU-R BT.709 weights, the same
// as the bundled photos).
export const MAX_SIDE = 512;

export async function readPicture(file, maxSide = MAX_SIDE) {
  const bitmap = await createImageBitmap(file);
  const shrink = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
  const width = Math.max(1, Math.round(bitmap.width * shrink));
  const height = Math.max(1, Math.round(bitmap.height * shrink));
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, width, height);
  ctx.drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  const {data} = ctx.getImageData(0, 0, width, height);
  const pixels = [];
  for (let y = 0; y < height; y++) {
    const row = new Array(width);
    for (let x = 0; x < width; x++) {
      const k = (y * width + x) * 4;
      row[x] = Math.round(0.2126 * data[k] + 0.7152 * data[k + 1] + 0.0722 * data[k + 2]);
    }
    pixels.push(row);
  }
  return {pixels, width, height};
}
