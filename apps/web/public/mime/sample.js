// Served as text/javascript; a browser runs a script only with a JavaScript type.
document.querySelector("#js-result").textContent = "sample.js ran: text/javascript";
