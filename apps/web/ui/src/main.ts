import { DispatchPicture } from "./dispatch-picture.js";
import { byId } from "./dom.js";
import { EventStream } from "./event-stream.js";
import { HostPanel } from "./host-panel.js";
import { InboxPanel } from "./inbox-panel.js";
import { lookupPanel } from "./lookup-panel.js";
import { RestartsPanel } from "./restarts-panel.js";
import { TrafficPanel } from "./traffic-panel.js";
import { tryPanel } from "./try-panel.js";

// index.html already shows the services and explains each panel; this turns it live.
const stream = new EventStream("/api/events/stream");
const host = new HostPanel();
const traffic = new TrafficPanel(byId("traffic-live"), stream);
const picture = new DispatchPicture(byId("dispatch-live"), stream);
const inbox = new InboxPanel(byId("inbox-live"), stream);
const restarts = new RestartsPanel(byId("restarts"), stream);
host.onServices((services) => traffic.setServices(services));
host.onServices((services) => picture.setServices(services));
// An app stopped or came back: its card's status changed.
stream.onRestart(() => void host.refresh());
// A dropped stream may mean a service restarted: read the statuses again when it is back.
stream.onStatus((status, previous) => {
  if (status.state === "live" && previous.state === "reconnecting") {
    void host.refresh();
    void restarts.refresh();
  }
});
tryPanel(byId("try-live"), (id) => {
  void inbox.open(id);
  byId("inbox").scrollIntoView({ behavior: "smooth" });
});
lookupPanel();
for (const node of document.querySelectorAll(".origin")) node.textContent = location.origin;

host.start();
void inbox.refresh();
void restarts.refresh();
stream.start();
