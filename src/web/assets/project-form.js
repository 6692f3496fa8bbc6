// Project entry form: only the fields of the chosen trade type show (without JavaScript all show,
// and the server reads those of the chosen type).
const form = document.querySelector('[data-project-form]')
if (form) {
  const select = form.querySelector('[data-trade-type]')
  const groupOf = (type) => (type.startsWith('procurement_') ? 'procurement' : type)
  const update = () => {
    for (const fieldset of form.querySelectorAll('[data-detail-group]')) {
      const shown = fieldset.dataset.detailGroup === groupOf(select.value)
      fieldset.hidden = !shown
      fieldset.disabled = !shown
    }
  }
  select.addEventListener('change', update)
  update()
}
