// The event feed and stale-data handling that every live page shares. The page defines `render(data)` for one
// event's data and `followEvents` calls it; the page marks itself stale (class `stale` on <body>, and the text of
// `#stale-since`) when the stream breaks or stays silent.
const STALE_AFTER_MS = 5000;      // events come about once a second; five missed ones mean the stream is lost
const RETRY_CLOSED_MS = 2000;     // delay before reopening a stream the browser gave up on

const element = (id) => document.getElementById(id);
let lastEventAt = 0;
let source = null;

function setText(id, text) { element(id).textContent = text; }

function clock(date) {
  const pad = (n, width) => String(n).padStart(width || 2, "0");
  return pad(date.getHours()) + ":" + pad(date.getMinutes()) + ":" + pad(date.getSeconds()) + "." +
    pad(date.getMilliseconds(), 3);
}

function markStale() {
  if (document.body.classList.contains("stale")) return;
  document.body.classList.add("stale");
  setText("stale-since", lastEventAt ? clock(new Date(lastEventAt)) : "never");
}

// Opens `/events` and passes the data of each event named in `names` to `render`. `onOpen` runs each time the
// stream (re)opens, so that rates restart from the first event instead of spanning the gap.
function followEvents(names, render, onOpen) {
  function open() {
    source = new EventSource("/events");
    source.onopen = onOpen;
    for (const name of names) {
      source.addEventListener(name, (event) => {
        lastEventAt = Date.now();
        document.body.classList.remove("stale");
        render(JSON.parse(event.data));
      });
    }
    source.onerror = () => {
      markStale();
      // The browser retries a dropped stream by itself, but gives up on a reply that is not an event stream.
      if (source.readyState === EventSource.CLOSED) {
        setTimeout(open, RETRY_CLOSED_MS);
      }
    };
  }
  setInterval(() => {
    if (lastEventAt && Date.now() - lastEventAt > STALE_AFTER_MS) markStale();
  }, 1000);
  open();
}
