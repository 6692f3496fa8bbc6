// Bank statement upload with a progress bar: the file goes to the import API as text/csv (the
// server streams it into the reconciliation), and the result or the refused lines show on the
// page. Without JavaScript the same form posts multipart to the page route.
const form = document.querySelector('form[data-statement-upload]')

function fill (template, params) {
  return template.replace(/\{(\w+)\}/g, (match, name) => (name in params ? String(params[name]) : match))
}

function paragraph (text, className) {
  const element = document.createElement('p')
  if (className) element.className = className
  element.textContent = text
  return element
}

if (form && typeof XMLHttpRequest === 'function') {
  const messages = JSON.parse(form.dataset.messages)
  const box = form.querySelector('[data-upload-progress]')
  const bar = form.querySelector('progress')
  const status = form.querySelector('[data-upload-status]')
  const result = form.querySelector('[data-upload-result]')
  const button = form.querySelector('button[type=submit]')

  const showProgress = (percent) => {
    bar.value = percent
    bar.textContent = `${percent}%`
    status.textContent = fill(messages.uploading, { percent })
  }

  const finish = (state) => {
    form.dataset.uploadState = state
    button.disabled = false
    button.removeAttribute('aria-busy')
  }

  const showRefusal = (problem) => {
    const alert = document.createElement('div')
    alert.className = 'error'
    alert.setAttribute('role', 'alert')
    alert.append(paragraph(messages.errors[problem.code] ?? problem.detail ?? messages.failed))
    if (Array.isArray(problem.errors) && problem.errors.length > 0) {
      const list = document.createElement('ul')
      list.className = 'line-errors'
      for (const error of problem.errors) {
        const item = document.createElement('li')
        const line = /^line (\d+)$/.exec(error.path ?? '')
        const where = document.createElement('strong')
        where.textContent = line ? fill(messages.line, { line: line[1] }) : (error.path ?? '')
        const what = document.createElement('span')
        what.lang = 'en'
        what.textContent = error.message
        item.append(where, ': ', what)
        list.append(item)
      }
      alert.append(list)
    }
    result.replaceChildren(alert)
  }

  form.addEventListener('submit', (event) => {
    const file = form.elements.statement.files[0]
    if (!file) return
    event.preventDefault()
    const query = new URLSearchParams({ bankCode: form.elements.bankCode.value, date: form.elements.date.value })
    const request = new XMLHttpRequest()
    request.open('POST', `${form.dataset.api}?${query}`)
    request.setRequestHeader('content-type', 'text/csv')
    request.setRequestHeader('accept', 'application/json')
    request.responseType = 'json'
    request.upload.addEventListener('progress', (progress) => {
      if (progress.lengthComputable && progress.total > 0) showProgress(Math.round((progress.loaded / progress.total) * 100))
    })
    request.upload.addEventListener('load', () => {
      showProgress(100)
      status.textContent = messages.processing
    })
    request.addEventListener('load', () => {
      const body = request.response ?? {}
      if (request.status === 201) {
        showProgress(100)
        status.textContent = ''
        const done = paragraph(fill(messages.done, { lines: body.lineCount, differences: body.differences, open: body.openDifferences }), 'notice ok')
        done.setAttribute('role', 'status')
        const link = document.createElement('a')
        link.href = `/finance/statements/${body.id}`
        link.textContent = messages.view
        link.dataset.statementLink = ''
        done.append(' ', link)
        result.replaceChildren(done)
        finish('done')
      } else {
        status.textContent = ''
        showRefusal(body)
        finish('refused')
      }
    })
    request.addEventListener('error', () => {
      status.textContent = ''
      result.replaceChildren(paragraph(messages.network, 'error'))
      finish('failed')
    })
    box.hidden = false
    showProgress(0)
    result.replaceChildren()
    button.disabled = true
    button.setAttribute('aria-busy', 'true')
    form.dataset.uploadState = 'uploading'
    request.send(file)
  })
}
