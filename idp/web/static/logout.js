// Logto's logout page submits itself when the request carried a valid id_token_hint.
const form = document.getElementById("logout");
if (form && form.dataset.auto === "yes") form.submit();
