// The agent's live moment: each kudos to the viewer, from /live/events,
// is added to the top of the list and announced. No libraries; the page
// works without this file, minus the live part.
(function () {
  "use strict";
  var list = document.getElementById("moments");
  var status = document.getElementById("live-status");
  var toast = document.getElementById("toast");
  if (!list || !window.EventSource) { return; }
  var hideTimer = null;
  status.textContent = status.dataset.connecting;

  function add(m) {
    var li = document.createElement("li");
    li.className = "card kudos moment";
    li.dataset.id = m.id;
    var meta = document.createElement("p");
    meta.className = "meta";
    var who = document.createElement("strong");
    who.textContent = m.customer ? "A customer" : m.giver_name;
    meta.appendChild(document.createTextNode("From "));
    meta.appendChild(who);
    meta.appendChild(document.createTextNode(" · just now"));
    var msg = document.createElement("p");
    msg.className = "message";
    msg.textContent = m.message;
    li.appendChild(meta);
    li.appendChild(msg);
    list.insertBefore(li, list.firstChild);

    toast.textContent = m.customer
      ? "From your last customer: " + m.message
      : "You just got kudos from " + m.giver_name + ": " + m.message;
    toast.hidden = false;
    if (hideTimer) { clearTimeout(hideTimer); }
    hideTimer = setTimeout(function () { toast.hidden = true; }, 8000);
  }

  var source = new EventSource("/live/events");
  source.addEventListener("open", function () { status.textContent = status.dataset.live; });
  source.addEventListener("error", function () { status.textContent = status.dataset.lost; });
  source.addEventListener("moment", function (e) {
    try { add(JSON.parse(e.data)); } catch (err) { /* a malformed event is skipped */ }
  });
})();
