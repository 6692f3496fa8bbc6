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

  // a refusal naming materials (`errors[].pointer` /materials/<code>) is also shown beside each of them
  const clearFieldErrors = () => {
    for (const message of form.querySelectorAll('[data-upload-field-error]')) message.remove()
    for (const input of form.querySelectorAll('input[type=file][aria-invalid]')) {
      input.removeAttribute('aria-invalid')
      input.removeAttribute('aria-describedby')
    }
  }
  const markField = (code, words) => {
    const input = form.querySelector(`input[type=file][id="material-${CSS.escape(code)}"]`)
    if (!input) return
    const message = document.createElement('p')
    message.id = `${input.id}-error`
    message.className = 'error field-error'
    message.dataset.uploadFieldError = ''
    message.textContent = words
    input.before(message)
    input.setAttribute('aria-invalid', 'true')
    input.setAttribute('aria-describedby', message.id)
  }

  const showRefusal = (problem) => {
    const alert = document.createElement('div')
    alert.className = 'error'
    alert.setAttribute('role', 'alert')
    alert.dataset.error = ''
    const text = document.createElement('p')
    // the page's words for the refusal; the API's English detail is not shown to the reader
    const words = messages.errors?.[problem.code] ?? messages.failed
    text.textContent = words
    alert.append(text)
    result.replaceChildren(alert)
    for (const error of problem.errors ?? []) {
      const code = /^\/materials\/(.+)$/.exec(error.pointer ?? error.path ?? '')?.[1]
      if (code) markField(decodeURIComponent(code), words)
    }
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
    clearFieldErrors()
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
