// Replaces the static table with the live one from /api/ports.
const body = document.querySelector("#ports tbody");
const response = await fetch("/api/ports");
if (response.ok && body) {
  const { services } = await response.json();
  body.replaceChildren(
    ...services
      .filter((s) => s.implemented)
      .map((s) => {
        const row = document.createElement("tr");
        for (const text of [s.name, s.transports.join(" + "), s.wellKnownPort, s.port, s.rangeClass, s.description]) {
          const cell = document.createElement("td");
          cell.textContent = String(text);
          row.append(cell);
        }
        return row;
      }),
  );
}
