// A time zone list nobody has chosen from yet (data-guess-zone) starts at the browser's own zone.
for (const select of document.querySelectorAll("select[data-guess-zone]")) {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone && [...select.options].some((option) => option.value === zone)) select.value = zone;
}
