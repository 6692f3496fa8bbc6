// Fee-version forms: only the fields of the chosen basis (fixed amount, unit price or formula)
// are shown, and the refund deadline only for deposits. Without JavaScript every field shows and
// the server reads those of the chosen basis.
for (const form of document.querySelectorAll('form')) {
  const basis = form.querySelector('[data-basis-select]')
  if (basis) {
    const showBasis = () => {
      for (const fieldset of form.querySelectorAll('fieldset[data-basis]')) {
        const chosen = fieldset.dataset.basis === basis.value
        fieldset.hidden = !chosen
        fieldset.disabled = !chosen
      }
    }
    basis.addEventListener('change', showBasis)
    showBasis()
  }
  const category = form.querySelector('[data-category-select]')
  if (category) {
    const showDeposit = () => {
      for (const element of form.querySelectorAll('[data-deposit-only]')) element.hidden = category.value !== 'deposit'
    }
    category.addEventListener('change', showDeposit)
    showDeposit()
  }
}
