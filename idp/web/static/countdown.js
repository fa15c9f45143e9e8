// The resend countdown of the code page. The server refuses an early resend by itself; this only
// keeps the button disabled until then and shows the seconds left.
const wait = document.getElementById("resend-wait");
const button = document.querySelector("#resend button");
if (wait && button) {
  const deadline = Date.now() + (Number(wait.dataset.seconds) || 0) * 1000;
  const template = wait.dataset.template || "";
  const tick = () => {
    const left = Math.ceil((deadline - Date.now()) / 1000);
    if (left <= 0) {
      wait.hidden = true;
      button.disabled = false;
      return;
    }
    wait.hidden = false;
    button.disabled = true;
    wait.textContent = template.replace("{seconds}", String(left));
    setTimeout(tick, 250);
  };
  tick();
}
