// The board report's "Print this report" button: shown only when scripts run (it needs them).
for (const button of document.querySelectorAll("[data-hsb-print]")) {
  button.hidden = false;
  button.addEventListener("click", (event) => {
    event.preventDefault();
    window.print();
  });
}
