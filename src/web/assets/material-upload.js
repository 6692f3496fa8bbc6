// Material uploads with a progress bar (an application, or the answer to a correction notice):
// the chosen files go to the cases API as multipart, each part named by its material code; an
// input left empty is not sent. The application's answer carries the case number and the query
// code, shown once in the page; a correction returns to the case. Without JavaScript the same
// form posts to its page route.
const form = document.querySelector('form[data-material-upload]')

if (form && typeof XMLHttpRequest === 'function' && typeof FormData === 'function') {
  const messages = JSON.parse(form.dataset.messages)
  const box = form.querySelector('[data-upload-progress]')
  const bar = box.querySelector('progress')
  const status = box.querySelector('[data-upload-status]')
  const result = form.querySelector('[data-upload-result]')
  const button = form.querySelector('button[type=submit]')
  const fill = (template, params) => template.replace(/\{(\w+)\}/g, (match, name) => (name in params ? String(params[name]) : match))

  const body = () => {
    const data = new FormData()
    for (const element of form.elements) {
      if (!element.name || element.disabled || element.type === 'submit') continue
      if (element.type === 'file') {
        for (const file of element.files) data.append(element.name, file, file.name)
      } else if ((element.type !== 'checkbox' && element.type !== 'radio') || element.checked) {
        data.append(element.name, element.value)
      }
    }
    return data
  }

  const showRefusal = (problem) => {
    const alert = document.createElement('div')
    alert.className = 'error'
    alert.setAttribute('role', 'alert')
    alert.dataset.error = ''
    const text = document.createElement('p')
    text.textContent = messages.errors?.[problem.code] ?? problem.detail ?? messages.failed
    alert.append(text)
    if (problem.detail && text.textContent !== problem.detail) {
      const detail = document.createElement('p')
      detail.innerHTML = '<small lang="en"></small>'
      detail.firstChild.textContent = problem.detail
      alert.append(detail)
    }
    result.replaceChildren(alert)
  }

  const filed = (answer) => {
    const section = document.querySelector('[data-filed]')
    section.querySelector('[data-filed-number]').textContent = answer.case.number
    section.querySelector('[data-query-code]').textContent = answer.queryCode
    section.querySelector('[data-filed-link]').href = `/my/cases/${answer.case.id}`
    section.querySelector('[data-progress-link]').href = `/progress?number=${encodeURIComponent(answer.case.number)}`
    form.hidden = true
    section.hidden = false
    section.querySelector('[data-query-code]').scrollIntoView({ block: 'center' })
  }

  form.addEventListener('submit', (event) => {
    if (!form.checkValidity()) return
    event.preventDefault()
    const request = new XMLHttpRequest()
    request.open('POST', form.dataset.api)
    request.setRequestHeader('accept', 'application/json')
    request.responseType = 'json'
    box.hidden = false
    result.replaceChildren()
    button.disabled = true
    button.setAttribute('aria-busy', 'true')
    request.upload.addEventListener('progress', (progress) => {
      if (!progress.lengthComputable) return
      const percent = Math.round((100 * progress.loaded) / progress.total)
      bar.value = percent
      bar.textContent = `${percent}%`
      status.textContent = fill(messages.uploading, { percent })
    })
    request.addEventListener('load', () => {
      button.disabled = false
      button.removeAttribute('aria-busy')
      if (request.status === 200 || request.status === 201) {
        status.textContent = messages.done
        if (form.dataset.done) location.assign(form.dataset.done)
        else filed(request.response)
        return
      }
      box.hidden = true
      showRefusal(request.response ?? {})
    })
    request.addEventListener('error', () => {
      button.disabled = false
      button.removeAttribute('aria-busy')
      box.hidden = true
      showRefusal({})
    })
    request.send(body())
  })
}
