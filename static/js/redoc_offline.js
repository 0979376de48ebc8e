// Loaded on /redoc before ReDoc. ReDoc's side menu always shows a logo from cdn.redoc.ly, which the
// site's Content-Security-Policy blocks (nothing is loaded from the internet), reporting a violation.
// Here an image address on another origin becomes an empty data: URL instead, however it is set (the
// src property or attribute): ReDoc's logo fails to load and ReDoc leaves it out.
const local = (value) => {
  const text = String(value);
  return /^https?:\/\//i.test(text) && new URL(text).origin !== location.origin ? 'data:,' : value;
};
const src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, 'src');
Object.defineProperty(HTMLImageElement.prototype, 'src', {
  ...src,
  set(value) { src.set.call(this, local(value)); },
});
const setAttribute = Element.prototype.setAttribute;
Element.prototype.setAttribute = function (name, value) {
  return setAttribute.call(this, name, this instanceof HTMLImageElement && name === 'src' ? local(value) : value);
};
